/// A controller's record of its own writes that a later read must already
/// reflect before it acts again (the role of KubeVirt's
/// `ControllerExpectations`, which count creates and deletes not yet seen
/// by the informer). Corral's resourceVersions are one global revision, so
/// "every create and delete was observed" is "the listing was taken at a
/// revision no older than the last write". Without this, a listing that lags
/// behind the controller's own creates would make it create them again.
public struct WriteExpectations: Equatable, Sendable {
    var pending: [String: Int64] = [:]

    /// No expectations.
    public init() {}

    /// Records a write to `key`'s objects done at `revision` (the written object's resourceVersion).
    public mutating func expect(_ key: String, revision: Int64) {
        pending[key] = max(pending[key] ?? 0, revision)
    }

    /// Records a write whose result carries `resourceVersion` (ignored when it does not parse).
    public mutating func expect(_ key: String, resourceVersionOf obj: JSONValue) {
        if let rv = obj[path: ["metadata", "resourceVersion"]]?.stringValue.flatMap({ Int64($0) }) { expect(key, revision: rv) }
    }

    /// Whether a listing taken at `listedRevision` has seen every write recorded for `key`.
    /// Clears the record once it is satisfied.
    public mutating func satisfied(_ key: String, listedRevision: Int64) -> Bool {
        guard let want = pending[key] else { return true }
        if listedRevision >= want {
            pending[key] = nil
            return true
        }
        return false
    }

    /// Drops `key` (its owner is gone).
    public mutating func forget(_ key: String) { pending[key] = nil }
}
