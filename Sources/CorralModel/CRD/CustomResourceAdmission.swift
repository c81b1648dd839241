/// The extra write-path steps for CustomResourceDefinitions and custom
/// resources, run by the object service after the generic preparation of a
/// create or update (`ObjectLifecycle.prepareCreate/prepareUpdate`):
/// - CRDs: v1 defaulting, status reset on create, stored versions, validation;
/// - custom resources: structural pruning, schema defaults and schema validation.
/// Every other type passes through unchanged.
public enum CustomResourceAdmission {
    /// The object to store. `old` is nil on create. Throws 422 (Invalid) with field causes.
    public static func admit(_ obj: JSONValue, old: JSONValue?, type: ResourceType, subresource: String?) throws -> JSONValue {
        if type.storageKey == CRDServing.crdStorageKey { return try admitCRD(obj, old: old, type: type, subresource: subresource) }
        guard let custom = type.custom else { return obj }
        if old == nil && custom.terminating {
            throw APIError(code: 405, reason: "MethodNotAllowed", message: "create not allowed while custom resource definition is terminating",
                           group: type.group, kind: type.resource)
        }
        guard let schema = custom.schema else { return obj }
        var out = StructuralSchema.prune(obj, schema: schema).value
        out = StructuralSchema.applyDefaults(out, schema: schema)
        let causes = SchemaValueValidator.validate(out, schema: schema)
        if !causes.isEmpty { throw invalid(type, out[path: ["metadata", "name"]]?.stringValue ?? "", causes) }
        return out
    }

    /// The finalizers a delete adds for `type` (kube-apiserver's CRD REST adds its cleanup finalizer).
    public static func deletionFinalizers(_ type: ResourceType) -> [String] {
        type.storageKey == CRDServing.crdStorageKey ? [CRDServing.cleanupFinalizer] : []
    }

    /// `Kind.group "name" is invalid: ...`, as kube names types with a group.
    public static func invalid(_ type: ResourceType, _ name: String, _ causes: [FieldCause]) -> APIError {
        var e = APIError.invalid(type, name, causes)
        if !type.group.isEmpty {
            let list = causes.map(\.rendered)
            let joined = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
            e.message = "\(type.kind).\(type.group) \"\(name)\" is invalid: \(joined)"
        }
        return e
    }

    static func admitCRD(_ obj: JSONValue, old: JSONValue?, type: ResourceType, subresource: String?) throws -> JSONValue {
        let name = obj[path: ["metadata", "name"]]?.stringValue ?? ""
        if subresource == "status" {
            let causes = CRDValidation.names(CRDView(obj).acceptedNames, path: "status.acceptedNames")
            if !causes.isEmpty { throw invalid(type, name, causes) }
            return obj
        }
        var out = CRDValidation.defaulted(obj)
        let storage = CRDView(out).storageVersion
        if let old {
            var stored = CRDView(old).storedVersions
            if let s = storage, !stored.contains(s) { stored.append(s) }
            if !stored.isEmpty { out.set(path: ["status", "storedVersions"], to: .array(stored.map { .string($0) })) }
            let causes = CRDValidation.validateUpdate(out, old: old)
            if !causes.isEmpty { throw invalid(type, name, causes) }
        } else {
            // kube resets status on create: names are accepted later by the controller.
            var status: JSONValue = ["acceptedNames": ["plural": "", "kind": ""]]
            if let s = storage { status["storedVersions"] = [.string(s)] }
            out["status"] = status
            let causes = CRDValidation.validate(out)
            if !causes.isEmpty { throw invalid(type, name, causes) }
        }
        return out
    }
}
