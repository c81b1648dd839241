import Foundation

/// Shared columns and cell helpers for the per-type printers.
extension TablePrinter {
    static let nameDescription = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of a name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
    static let creationTimestampDescription = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"

    static let nameColumn = Column("Name", format: "name", nameDescription)
    static let ageColumn = Column("Age", creationTimestampDescription)
    static let containersColumn = Column("Containers", priority: 1, "Names of each container in the template.")
    static let imagesColumn = Column("Images", priority: 1, "Images referenced by each container in the template.")

    /// `metadata.name`.
    static func name(_ obj: JSONValue) -> String {
        obj[path: ["metadata", "name"]]?.stringValue ?? ""
    }

    /// The AGE cell: human duration since `metadata.creationTimestamp`.
    static func age(_ obj: JSONValue, _ now: Date) -> String {
        translateTimestampSince(obj[path: ["metadata", "creationTimestamp"]]?.stringValue, now: now)
    }

    /// A string field, "" when missing or not a string.
    static func str(_ v: JSONValue?) -> String {
        v?.stringValue ?? ""
    }

    /// An integer field, `def` when missing.
    static func int(_ v: JSONValue?, _ def: Int64 = 0) -> Int64 {
        v?.intValue ?? def
    }

    /// Whether `metadata.deletionTimestamp` is set.
    static func isDeleting(_ obj: JSONValue) -> Bool {
        if let ts = obj[path: ["metadata", "deletionTimestamp"]], !ts.isNull, ts.stringValue != "" { return true }
        return false
    }

    /// `metadata.annotations[key]`.
    static func annotation(_ obj: JSONValue, _ key: String) -> String? {
        obj[path: ["metadata", "annotations", key]]?.stringValue
    }

    /// The status of the first condition of `type` in `conditions`, or nil.
    static func conditionStatus(_ conditions: JSONValue?, _ type: String) -> String? {
        for c in conditions?.arrayValue ?? [] where c["type"]?.stringValue == type {
            return c["status"]?.stringValue
        }
        return nil
    }

    /// Container names and images, comma-joined (the wide CONTAINERS/IMAGES cells).
    static func containerCells(_ podSpec: JSONValue?) -> (JSONValue, JSONValue) {
        let containers = podSpec?["containers"]?.arrayValue ?? []
        let names = containers.map { str($0["name"]) }.joined(separator: ",")
        let images = containers.map { str($0["image"]) }.joined(separator: ",")
        return (.string(names), .string(images))
    }

    /// metav1.FormatLabelSelector: the selector's string, "<none>" when empty
    /// or nil, "<error>" when invalid.
    static func formatLabelSelector(_ sel: JSONValue?) -> String {
        guard let s = try? LabelSelector(json: sel ?? .null) else { return "<error>" }
        let text = s.description
        return text.isEmpty ? "<none>" : text
    }

    /// labels.FormatLabels: sorted `k=v` pairs, "<none>" when empty.
    static func formatLabels(_ map: JSONValue?) -> String {
        var pairs: [String] = []
        for (k, v) in map?.objectValue ?? JSONObject() {
            pairs.append(k + "=" + (v.stringValue ?? ""))
        }
        return pairs.isEmpty ? "<none>" : pairs.sorted().joined(separator: ",")
    }

    /// net.JoinHostPort: brackets IPv6 hosts.
    static func joinHostPort(_ host: String, _ port: Int64) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
