/// A read-only typed view of a stored `apiextensions.k8s.io/v1`
/// CustomResourceDefinition (the JSON stays the source of truth).
public struct CRDView: Sendable {
    /// One entry of `spec.versions`, with its schema, subresources and columns parsed
    /// (`index` is its position, for field paths; `raw` the entry as stored).
    public struct Version: Sendable {
        public var index: Int
        public var name: String
        public var served: Bool
        public var storage: Bool
        public var schema: JSONValue?
        public var statusSubresource: Bool
        public var scale: ScaleSpec?
        public var printerColumns: [PrinterColumn]
        public var raw: JSONValue
    }

    /// `spec.names` or `status.acceptedNames`.
    public struct Names: Sendable, Equatable {
        public var plural = ""
        public var singular = ""
        public var kind = ""
        public var listKind = ""
        public var shortNames: [String] = []
        public var categories: [String] = []

        public init() {}

        init(_ v: JSONValue?) {
            plural = v?["plural"]?.stringValue ?? ""
            singular = v?["singular"]?.stringValue ?? ""
            kind = v?["kind"]?.stringValue ?? ""
            listKind = v?["listKind"]?.stringValue ?? ""
            shortNames = (v?["shortNames"]?.arrayValue ?? []).compactMap(\.stringValue)
            categories = (v?["categories"]?.arrayValue ?? []).compactMap(\.stringValue)
        }

        /// The JSON form kube writes (plural and kind always present).
        public var json: JSONValue {
            var o = JSONObject()
            o["plural"] = .string(plural)
            if !singular.isEmpty { o["singular"] = .string(singular) }
            if !shortNames.isEmpty { o["shortNames"] = .array(shortNames.map { .string($0) }) }
            o["kind"] = .string(kind)
            if !listKind.isEmpty { o["listKind"] = .string(listKind) }
            if !categories.isEmpty { o["categories"] = .array(categories.map { .string($0) }) }
            return .object(o)
        }
    }

    /// The stored CRD.
    public let object: JSONValue

    /// A view of `object` (no validation: missing fields read as empty).
    public init(_ object: JSONValue) { self.object = object }

    /// metadata.name ("crontabs.stable.example.com").
    public var name: String { object[path: ["metadata", "name"]]?.stringValue ?? "" }
    /// metadata.uid.
    public var uid: String { object[path: ["metadata", "uid"]]?.stringValue ?? "" }
    /// metadata.generation (bumped by spec changes).
    public var generation: Int64 { object[path: ["metadata", "generation"]]?.intValue ?? 0 }
    /// metadata.deletionTimestamp is set.
    public var deleting: Bool { object[path: ["metadata", "deletionTimestamp"]] != nil }
    /// metadata.creationTimestamp as stored.
    public var creationTimestamp: String { object[path: ["metadata", "creationTimestamp"]]?.stringValue ?? "" }
    /// spec.group.
    public var group: String { object[path: ["spec", "group"]]?.stringValue ?? "" }
    /// spec.scope ("Namespaced" or "Cluster").
    public var scope: String { object[path: ["spec", "scope"]]?.stringValue ?? "" }
    /// Objects live in namespaces.
    public var namespaced: Bool { scope != "Cluster" }
    /// The requested names (spec.names).
    public var names: Names { Names(object[path: ["spec", "names"]]) }
    /// The names being served (status.acceptedNames).
    public var acceptedNames: Names { Names(object[path: ["status", "acceptedNames"]]) }
    /// status.storedVersions.
    public var storedVersions: [String] { (object[path: ["status", "storedVersions"]]?.arrayValue ?? []).compactMap(\.stringValue) }
    /// status.conditions.
    public var conditions: [JSONValue] { object[path: ["status", "conditions"]]?.arrayValue ?? [] }

    /// The status of condition `type` ("True", "False", "Unknown"), nil when absent.
    public func condition(_ type: String) -> String? {
        conditions.first { $0["type"]?.stringValue == type }?["status"]?.stringValue
    }

    /// `spec.versions`, parsed.
    public var versions: [Version] {
        (object[path: ["spec", "versions"]]?.arrayValue ?? []).enumerated().map { i, v in
            var scale: ScaleSpec?
            if let s = v[path: ["subresources", "scale"]], s.objectValue != nil {
                scale = ScaleSpec(specReplicasPath: s["specReplicasPath"]?.stringValue ?? "",
                                  statusReplicasPath: s["statusReplicasPath"]?.stringValue ?? "",
                                  labelSelectorPath: s["labelSelectorPath"]?.stringValue)
            }
            let columns: [PrinterColumn] = (v["additionalPrinterColumns"]?.arrayValue ?? []).map { c in
                PrinterColumn(name: c["name"]?.stringValue ?? "", type: c["type"]?.stringValue ?? "",
                              format: c["format"]?.stringValue ?? "", description: c["description"]?.stringValue ?? "",
                              priority: Int(c["priority"]?.intValue ?? 0), jsonPath: c["jsonPath"]?.stringValue ?? "")
            }
            let schema = v[path: ["schema", "openAPIV3Schema"]]
            return Version(index: i, name: v["name"]?.stringValue ?? "", served: v["served"]?.boolValue ?? false,
                           storage: v["storage"]?.boolValue ?? false, schema: schema.flatMap { $0.isNull ? nil : $0 },
                           statusSubresource: v[path: ["subresources", "status"]]?.objectValue != nil,
                           scale: scale, printerColumns: columns, raw: v)
        }
    }

    /// The version marked `storage: true`.
    public var storageVersion: String? { versions.first { $0.storage }?.name }
}
