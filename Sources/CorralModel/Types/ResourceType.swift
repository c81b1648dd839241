/// One REST resource the API server serves: enough to route, store, discover
/// and print it. Adding a type is one `ResourceType(...)` line in
/// `ResourceRegistry.builtins`.
public struct ResourceType: Sendable, Hashable {
    /// API group ("" for core).
    public var group: String
    public var version: String
    public var kind: String
    /// Lower-case plural used in URLs ("pods").
    public var resource: String
    public var namespaced: Bool
    public var shortNames: [String]
    public var categories: [String]
    /// Subresources Kubernetes serves for this type ("status", "scale").
    public var subresources: [String]
    /// Verbs served and shown in discovery; review types (SelfSubjectAccessReview...) serve only "create".
    public var verbs: [String]
    /// Singular resource name ("pod"); the lower-cased kind unless a CRD names another.
    public var singular: String
    /// Kind of the list ("PodList"); kind + "List" unless a CRD names another.
    public var listKind: String
    /// What a CustomResourceDefinition declares for this version (schema, columns, scale);
    /// nil for built-in types.
    public var custom: CustomResourceVersion?

    public init(group: String, version: String, kind: String, resource: String, namespaced: Bool = true,
                shortNames: [String] = [], categories: [String] = [], subresources: [String] = [],
                verbs: [String] = ResourceType.storedVerbs, singular: String? = nil, listKind: String? = nil,
                custom: CustomResourceVersion? = nil) {
        self.group = group
        self.version = version
        self.kind = kind
        self.resource = resource
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.categories = categories
        self.subresources = subresources
        self.verbs = verbs
        self.singular = singular ?? kind.lowercased()
        self.listKind = listKind ?? kind + "List"
        self.custom = custom
    }

    /// "v1" or "apps/v1".
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// Storage key: group and resource, independent of version.
    public var storageKey: String { group.isEmpty ? resource : "\(resource).\(group)" }
    /// "apps/v1, Resource=deployments" style name for messages: "deployments.apps".
    public var qualifiedResource: String { group.isEmpty ? resource : "\(resource).\(group)" }

    /// Verbs every stored type supports.
    public static let storedVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// The path prefix of a collection: "/api/v1/namespaces/NS/pods".
    public func collectionPath(namespace: String?) -> String {
        let base = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let ns = namespace { return "\(base)/namespaces/\(ns)/\(resource)" }
        return "\(base)/\(resource)"
    }
}
