import CorralModel

/// Where one object lives: its type's storage key, namespace ("" when
/// cluster-scoped) and name.
public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    public var storageKey: String
    public var namespace: String
    public var name: String

    public init(_ storageKey: String, namespace: String, name: String) {
        self.storageKey = storageKey
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "\(storageKey)/\(namespace)/\(name)" }
}

/// The kind of change a revision made, named as watch events name it.
public enum ChangeType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
}

/// One committed change: the object after it (for deletions, its last state
/// stamped with the deletion's revision) and the object before it.
public struct Change: Sendable {
    public var revision: Int64
    public var type: ChangeType
    public var key: ObjectKey
    public var object: JSONValue
    public var previous: JSONValue?
    /// `object` serialized once at commit, shared by every watcher.
    public var objectBytes: [UInt8]

    public init(revision: Int64, type: ChangeType, key: ObjectKey, object: JSONValue, previous: JSONValue?, objectBytes: [UInt8]? = nil) {
        self.revision = revision
        self.type = type
        self.key = key
        self.object = object
        self.previous = previous
        self.objectBytes = objectBytes ?? object.serialized()
    }
}

/// A stored object with its revision, as read back.
public struct StoredObject: Sendable {
    public var key: ObjectKey
    public var revision: Int64
    public var bytes: [UInt8]

    /// Parses the stored JSON (it was written by us, so failure means corruption).
    public func decoded() throws -> JSONValue { try JSONParser.parse(bytes) }
}

/// Store failures that are not Kubernetes-level semantics.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The requested revision was compacted away; carries (requested, compacted).
    case compacted(requested: Int64, compacted: Int64)
    /// The store could not be opened or written.
    case io(String)

    public var description: String {
        switch self {
        case .compacted(let r, let c): return "too old resource version: \(r) (\(c))"
        case .io(let m): return "storage error: \(m)"
        }
    }
}

/// What a watcher's stream carries: a committed change, or a tick asking it
/// to send a bookmark.
public enum WatchSignal: Sendable {
    case change(Change)
    case tick
}
