/// One `additionalPrinterColumns` entry of a CRD version.
public struct PrinterColumn: Sendable, Hashable {
    public var name: String
    /// "string", "integer", "number", "boolean" or "date".
    public var type: String
    public var format: String
    public var description: String
    public var priority: Int
    /// A JSONPath into the object, e.g. `.spec.replicas`.
    public var jsonPath: String

    public init(name: String, type: String, format: String = "", description: String = "", priority: Int = 0, jsonPath: String) {
        self.name = name
        self.type = type
        self.format = format
        self.description = description
        self.priority = priority
        self.jsonPath = jsonPath
    }
}

/// `subresources.scale` of a CRD version: where the replica counts and selector live.
public struct ScaleSpec: Sendable, Hashable {
    public var specReplicasPath: String
    public var statusReplicasPath: String
    public var labelSelectorPath: String?

    public init(specReplicasPath: String, statusReplicasPath: String, labelSelectorPath: String? = nil) {
        self.specReplicasPath = specReplicasPath
        self.statusReplicasPath = statusReplicasPath
        self.labelSelectorPath = labelSelectorPath
    }
}

/// What a CustomResourceDefinition declares for one served version, carried
/// on its `ResourceType` so every layer (admission, table, scale, OpenAPI)
/// can act on it without another lookup. Equality and hashing use
/// `fingerprint` (CRD uid, generation, terminating), which changes whenever
/// the declaration does, so caches keyed on `ResourceType` stay honest.
public struct CustomResourceVersion: Sendable, Hashable, CustomStringConvertible {
    /// metadata.name of the CRD ("crontabs.stable.example.com").
    public var crdName: String
    /// `schema.openAPIV3Schema`, nil when the version has none.
    public var schema: JSONValue?
    /// The printer columns to serve (already defaulted to Age when the CRD lists none).
    public var printerColumns: [PrinterColumn]
    public var scale: ScaleSpec?
    /// The version objects are stored in.
    public var storageVersion: String
    /// The CRD is being deleted: creates are refused, reads still served.
    public var terminating: Bool
    public var fingerprint: String

    public init(crdName: String, schema: JSONValue?, printerColumns: [PrinterColumn], scale: ScaleSpec?,
                storageVersion: String, terminating: Bool, fingerprint: String) {
        self.crdName = crdName
        self.schema = schema
        self.printerColumns = printerColumns
        self.scale = scale
        self.storageVersion = storageVersion
        self.terminating = terminating
        self.fingerprint = fingerprint
    }

    public static func == (a: CustomResourceVersion, b: CustomResourceVersion) -> Bool { a.fingerprint == b.fingerprint }
    public func hash(into h: inout Hasher) { h.combine(fingerprint) }
    public var description: String { "crd(\(fingerprint))" }
}
