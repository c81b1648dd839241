import Foundation

/// Pure rules for what the server does to an object's metadata on create and
/// update: identity, timestamps, generation, status handling and checks. The
/// store layer calls these inside its transaction; nothing here does I/O.
public enum ObjectLifecycle {
    /// RFC 3339 with second precision in UTC, as Kubernetes writes timestamps.
    /// (Formatted by hand: ISO8601DateFormatter sets up ICU on every call.)
    public static func timestamp(_ date: Date) -> String { KubeTimeFormat.rfc3339(date) }

    /// Parses a Kubernetes timestamp (RFC 3339, UTC or with an offset, optional fraction).
    public static func parseTimestamp(_ s: String) -> Date? {
        TablePrinter.parseTimestamp(s)
    }

    /// Characters generateName suffixes use (no vowels, no look-alikes), as apimachinery does.
    static let suffixAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// A 5-character random suffix for generateName.
    public static func randomSuffix() -> String {
        String((0..<5).map { _ in suffixAlphabet.randomElement()! })
    }

    /// Checks the shape of `metadata` (types of well-known fields). A wrong type
    /// is a decoding error in Kubernetes: 400, not 422.
    public static func checkMetadataTypes(_ obj: JSONValue, type: ResourceType) throws {
        func fail(_ field: String, _ got: JSONValue, _ want: String) -> APIError {
            APIError.badRequest("\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): json: cannot unmarshal \(got.typeName) into Go struct field ObjectMeta.metadata.\(field) of type \(want)",
                                causes: [FieldCause(reason: "FieldValueTypeInvalid", field: "metadata.\(field)", message: "Invalid value: expected \(want), got \(got.typeName)")])
        }
        guard let md = obj["metadata"] else { return }
        guard case .object(let m) = md else {
            throw APIError.badRequest("\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): json: cannot unmarshal \(md.typeName) into Go struct field \(type.kind).metadata of type v1.ObjectMeta",
                                      causes: [FieldCause(reason: "FieldValueTypeInvalid", field: "metadata", message: "Invalid value: expected object")])
        }
        for f in ["name", "generateName", "namespace", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "selfLink"] {
            if let v = m[f], v.stringValue == nil, !v.isNull { throw fail(f, v, "string") }
        }
        for f in ["labels", "annotations"] {
            guard let v = m[f], !v.isNull else { continue }
            guard case .object(let o) = v else { throw fail(f, v, "map[string]string") }
            for (_, val) in o where val.stringValue == nil { throw fail(f, val, "string") }
        }
        if let v = m["finalizers"], !v.isNull {
            guard case .array(let a) = v else { throw fail("finalizers", v, "[]string") }
            for e in a where e.stringValue == nil { throw fail("finalizers", e, "string") }
        }
        if let v = m["ownerReferences"], !v.isNull {
            guard case .array(let a) = v else { throw fail("ownerReferences", v, "[]v1.OwnerReference") }
            for e in a where e.objectValue == nil { throw fail("ownerReferences", e, "v1.OwnerReference") }
        }
        if let v = m["generation"], !v.isNull, v.intValue == nil { throw fail("generation", v, "int64") }
        try checkStringMaps(obj, type: type)
    }

    /// Top-level map[string]string / map[string][]byte fields of a type, by storage key.
    static let stringMapFields: [String: [String]] = [
        "configmaps": ["data", "binaryData"],
        "secrets": ["data", "stringData"],
    ]

    /// Wrong types in those maps are decoding errors (400), as in kube-apiserver.
    static func checkStringMaps(_ obj: JSONValue, type: ResourceType) throws {
        for field in stringMapFields[type.storageKey] ?? [] {
            guard let v = obj[field], !v.isNull else { continue }
            let want = field == "data" && type.storageKey == "secrets" || field == "binaryData" ? "[]uint8" : "string"
            func fail(_ got: JSONValue, _ t: String) -> APIError {
                APIError.badRequest("\(type.kind) in version \"\(type.version)\" cannot be handled as a \(type.kind): json: cannot unmarshal \(got.typeName) into Go struct field \(type.kind).\(field) of type \(t)",
                                    causes: [FieldCause(reason: "FieldValueTypeInvalid", field: field, message: "Invalid value: expected \(t), got \(got.typeName)")])
            }
            guard case .object(let o) = v else { throw fail(v, "map[string]\(want)") }
            for (_, val) in o where val.stringValue == nil { throw fail(val, want) }
        }
    }

    /// Objects must stay readable by our own parser once stored.
    static func checkDepth(_ obj: JSONValue) throws {
        let limit = JSONParser.defaultMaxDepth - 1
        if obj.nestingDepth(limit: limit) > limit {
            throw APIError.badRequest("the object is nested deeper than \(limit) levels")
        }
    }

    /// Field problems in metadata (name syntax, labels, annotations, owner references).
    public static func validateMetadata(_ obj: JSONValue, type: ResourceType) -> [FieldCause] {
        var causes: [FieldCause] = []
        let name = obj[path: ["metadata", "name"]]?.stringValue ?? ""
        if name.isEmpty {
            causes.append(.required("metadata.name", "name or generateName is required"))
        } else {
            for p in NameRule.forType(type).problems(name) { causes.append(.invalid("metadata.name", .string(name), p)) }
        }
        if type.namespaced, let ns = obj[path: ["metadata", "namespace"]]?.stringValue, !ns.isEmpty {
            for p in NameRule.dns1123Label.problems(ns) { causes.append(.invalid("metadata.namespace", .string(ns), p)) }
        }
        if let labels = obj[path: ["metadata", "labels"]]?.objectValue {
            for (k, v) in labels {
                for p in LabelSelector.labelKeyErrors(k) { causes.append(.invalid("metadata.labels", .string(k), p)) }
                for p in LabelSelector.labelValueErrors(v.stringValue ?? "") { causes.append(.invalid("metadata.labels", v, p)) }
            }
        }
        if let ann = obj[path: ["metadata", "annotations"]]?.objectValue {
            var total = 0
            for (k, v) in ann {
                total += k.utf8.count + (v.stringValue?.utf8.count ?? 0)
                for p in LabelSelector.labelKeyErrors(k) { causes.append(.invalid("metadata.annotations", .string(k), p)) }
            }
            if total > 256 * 1024 {
                causes.append(FieldCause(reason: "FieldValueTooLong", field: "metadata.annotations", message: "Too long: must have at most 262144 bytes"))
            }
        }
        for (i, ref) in (obj[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).enumerated() {
            for f in ["apiVersion", "kind", "name", "uid"] where (ref[f]?.stringValue ?? "").isEmpty {
                causes.append(.required("metadata.ownerReferences[\(i)].\(f)"))
            }
        }
        return causes
    }

    /// Turns a client's object into the one to store on create. `namespace` is
    /// the namespace from the URL (nil for cluster-scoped types).
    public static func prepareCreate(_ input: JSONValue, type: ResourceType, namespace: String?, now: Date, uid: String) throws -> JSONValue {
        guard case .object = input else {
            throw APIError.badRequest("the body of the request was not a JSON object")
        }
        // Like kube-apiserver, a body without kind/apiVersion takes them from the URL.
        let sentKind = input["kind"]?.stringValue ?? "", sentVersion = input["apiVersion"]?.stringValue ?? ""
        let kind = sentKind.isEmpty ? type.kind : sentKind
        let apiVersion = sentVersion.isEmpty ? type.apiVersion : sentVersion
        if kind != type.kind || apiVersion != type.apiVersion {
            throw APIError.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(type.apiVersion))"
                                      + (kind != type.kind ? " or kind (\(kind)) does not match \(type.kind)" : ""))
        }
        try checkMetadataTypes(input, type: type)
        var obj = input
        obj["apiVersion"] = .string(apiVersion)
        obj["kind"] = .string(kind)
        if obj["metadata"] == nil || obj["metadata"]!.isNull { obj["metadata"] = .object(JSONObject()) }
        if type.namespaced {
            let bodyNS = obj[path: ["metadata", "namespace"]]?.stringValue ?? ""
            if let namespace, !bodyNS.isEmpty, bodyNS != namespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            obj.set(path: ["metadata", "namespace"], to: .string(namespace ?? bodyNS))
        } else {
            obj.set(path: ["metadata", "namespace"], to: nil)
        }
        let name = obj[path: ["metadata", "name"]]?.stringValue ?? ""
        if name.isEmpty, let gen = obj[path: ["metadata", "generateName"]]?.stringValue, !gen.isEmpty {
            obj.set(path: ["metadata", "name"], to: .string(String(gen.prefix(58)) + randomSuffix()))
        }
        obj.set(path: ["metadata", "uid"], to: .string(uid))
        obj.set(path: ["metadata", "creationTimestamp"], to: .string(timestamp(now)))
        obj.set(path: ["metadata", "resourceVersion"], to: nil)
        obj.set(path: ["metadata", "deletionTimestamp"], to: nil)
        obj.set(path: ["metadata", "deletionGracePeriodSeconds"], to: nil)
        obj.set(path: ["metadata", "selfLink"], to: nil)
        if tracksGeneration(type) { obj.set(path: ["metadata", "generation"], to: .int(1)) } else {
            obj.set(path: ["metadata", "generation"], to: nil)
        }
        if type.subresources.contains("status"), type.storageKey != "nodes" { obj["status"] = nil }
        if type.storageKey == "pods" {
            obj["status"] = ["phase": "Pending", "qosClass": .string(qosClass(obj["spec"]))]
        }
        obj = Defaults.apply(obj, type: type)
        try checkDepth(obj)
        let causes = validateMetadata(obj, type: type) + TypeValidation.validate(obj, type: type)
        if !causes.isEmpty { throw APIError.invalid(type, obj[path: ["metadata", "name"]]?.stringValue ?? "", causes) }
        return obj
    }

    /// The pod's QoS class from its containers' requests and limits.
    static func qosClass(_ spec: JSONValue?) -> String {
        let cs = (spec?["containers"]?.arrayValue ?? []) + (spec?["initContainers"]?.arrayValue ?? [])
        var any = false, guaranteed = true
        for c in cs {
            let req = c[path: ["resources", "requests"]]?.objectValue ?? JSONObject()
            let lim = c[path: ["resources", "limits"]]?.objectValue ?? JSONObject()
            if !req.isEmpty || !lim.isEmpty { any = true }
            for r in ["cpu", "memory"] {
                guard let l = lim[r] else { guaranteed = false; continue }
                if let q = req[r], q != l { guaranteed = false }
            }
        }
        if !any { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    /// Types whose spec changes bump `metadata.generation` (those with a spec).
    public static func tracksGeneration(_ type: ResourceType) -> Bool {
        !["configmaps", "secrets", "events", "events.events.k8s.io", "endpoints", "serviceaccounts", "leases.coordination.k8s.io",
          "endpointslices.discovery.k8s.io", "namespaces", "nodes", "pods"].contains(type.storageKey) && !type.group.hasPrefix("rbac")
    }

    /// Merges a client's update onto the stored object: identity and system
    /// fields stay the server's; `subresource` "status" changes only status,
    /// the main resource never changes status of types with a status subresource.
    public static func prepareUpdate(_ input: JSONValue, old: JSONValue, type: ResourceType, subresource: String?) throws -> JSONValue {
        guard case .object = input else { throw APIError.badRequest("the body of the request was not a JSON object") }
        try checkMetadataTypes(input, type: type)
        let name = old[path: ["metadata", "name"]]?.stringValue ?? ""
        if let k = input["kind"]?.stringValue, !k.isEmpty, k != type.kind {
            throw APIError.badRequest("the API version in the data (\(input["apiVersion"]?.stringValue ?? "")) does not match the expected API version (\(type.apiVersion)) or kind (\(k)) does not match \(type.kind)")
        }
        if let n = input[path: ["metadata", "name"]]?.stringValue, !n.isEmpty, n != name {
            throw APIError.badRequest("the name of the object (\(n)) does not match the name on the URL (\(name))")
        }
        if let rv = input[path: ["metadata", "resourceVersion"]]?.stringValue, !rv.isEmpty,
           rv != old[path: ["metadata", "resourceVersion"]]?.stringValue
        {
            throw APIError.conflict(type, name)
        }
        if let uid = input[path: ["metadata", "uid"]]?.stringValue, !uid.isEmpty, uid != old[path: ["metadata", "uid"]]?.stringValue {
            throw APIError.conflict(type, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(old[path: ["metadata", "uid"]]?.stringValue ?? "")")
        }
        var obj: JSONValue
        if subresource == "status" {
            obj = old
            obj["status"] = input["status"]
            // kube's deployment status strategy keeps metadata changes except labels:
            // the controller records the revision annotation with its status write.
            if type.storageKey == "deployments.apps" {
                obj.set(path: ["metadata", "annotations"], to: input[path: ["metadata", "annotations"]])
            }
        } else {
            obj = input
            if obj["metadata"] == nil { obj["metadata"] = .object(JSONObject()) }
            obj["apiVersion"] = .string(type.apiVersion)
            obj["kind"] = .string(type.kind)
            if type.subresources.contains("status") { obj["status"] = old["status"] }
            for f in ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
                obj.set(path: ["metadata", f], to: old[path: ["metadata", f]])
            }
            obj = Defaults.apply(obj, type: type)
            // Deployments also roll on annotation changes (kubectl rollout restart relies on it).
            let annotationsChanged = type.storageKey == "deployments.apps"
                && obj[path: ["metadata", "annotations"]] != old[path: ["metadata", "annotations"]]
            if tracksGeneration(type) && (specChanged(obj, old) || annotationsChanged) {
                let gen = old[path: ["metadata", "generation"]]?.intValue ?? 1
                obj.set(path: ["metadata", "generation"], to: .int(gen + 1))
            }
            // An object being deleted may lose finalizers but not gain new ones.
            if old[path: ["metadata", "deletionTimestamp"]] != nil {
                let oldF = Set((old[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue))
                let newF = (obj[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue)
                if let added = newF.first(where: { !oldF.contains($0) }) {
                    throw APIError.invalid(type, name, [.forbidden("metadata.finalizers", "no new finalizers can be added if the object is being deleted, found new finalizers []string{\"\(added)\"}")])
                }
            }
            let causes = validateMetadata(obj, type: type) + TypeValidation.validate(obj, type: type)
            if !causes.isEmpty { throw APIError.invalid(type, name, causes) }
        }
        obj.set(path: ["metadata", "resourceVersion"], to: nil)
        try checkDepth(obj)
        return obj
    }

    /// True when anything outside metadata and status differs.
    static func specChanged(_ a: JSONValue, _ b: JSONValue) -> Bool {
        guard case .object(let x) = a, case .object(let y) = b else { return a != b }
        let keys = Set(x.keys).union(y.keys).subtracting(["metadata", "status", "apiVersion", "kind"])
        return keys.contains { x[$0] != y[$0] }
    }

    /// The object's finalizers.
    public static func finalizers(_ obj: JSONValue) -> [String] {
        (obj[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}
