/// CorralImages module (placeholder; being built).
public enum CorralImagesModule {}
