/// CorralContainers module (placeholder; being built).
public enum CorralContainersModule {}
