/// CorralVirt module (placeholder; being built).
public enum CorralVirtModule {}
