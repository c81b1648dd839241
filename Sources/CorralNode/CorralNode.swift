/// CorralNode: the node agent (pods and VMIs on this host). Being built.
public enum CorralNodeModule {}
