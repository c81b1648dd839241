/// CorralNetwork module (placeholder; being built).
public enum CorralNetworkModule {}
