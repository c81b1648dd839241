import CorralModel
import Foundation

/// The checks of one request body against its kind's schema, with
/// kube-apiserver's status codes and wording for each verb.
struct BodyCheck {
    let type: ResourceType
    let kind: String
    let version: String
    let directive: FieldValidationDirective
    let schema: SchemaNode?
    let definition: String?
    let catalog: SchemaCatalog
    let name: String?
    let namespace: String?
    /// A custom resource's openAPIV3Schema: unknown fields are then the ones structural pruning drops.
    var customSchema: JSONValue? = nil

    /// Custom resources in a real cluster (KubeVirt, CDI, Multus: schemas not named io.k8s.*)
    /// report type errors as schema validation (422), not as decode errors.
    var isCustomResource: Bool { !(definition ?? "io.k8s.").hasPrefix("io.k8s.") }

    // MARK: create / update

    mutating func object(_ outcome: inout FieldValidationGate.Outcome, yaml: Bool, singleNode: Bool) throws {
        let body: JSONValue
        var duplicates: [String] = []
        do {
            if yaml {
                body = try BodyDecoding.decodeYAML(outcome.request.body)
            } else {
                (body, duplicates) = try JSONParser.parseReportingDuplicates(outcome.request.body)
            }
        } catch {
            return  // the verb reports malformed bodies
        }
        if singleNode { outcome.warnings += SingleNodeWarnings.warnings(for: body, storageKey: type.storageKey) }
        if let customSchema {
            guard describesBody(body) else { return }
            let errors = StrictDecoding.errors(unknown: [], duplicates: duplicates)
                + StructuralSchema.prune(body, schema: customSchema).unknown.map { "unknown field \"\($0)\"" }
            return try report(errors, &outcome) {
                APIError.badRequest(StrictDecoding.cannotBeHandled(kind: kind, version: version, detail: StrictDecoding.message(errors)))
            }
        }
        guard let schema, describesBody(body) else { return }
        let scan = FieldValidator(catalog: catalog).scan(body, schema: schema, definition: definition)
        if let first = scan.mismatches.first {
            if isCustomResource {
                throw APIError.invalid(type, body[path: ["metadata", "name"]]?.stringValue ?? name ?? "",
                                       scan.mismatches.map(StrictDecoding.typeCause))
            }
            throw APIError.badRequest(StrictDecoding.cannotBeHandled(kind: kind, version: version, detail: StrictDecoding.typeErrorDetail(first)))
        }
        let errors = StrictDecoding.errors(unknown: scan.unknown, duplicates: duplicates)
        try report(errors, &outcome) {
            APIError.badRequest(StrictDecoding.cannotBeHandled(kind: kind, version: version, detail: StrictDecoding.message(errors)))
        }
        if !scan.unknown.isEmpty && directive == .warn { replaceBody(&outcome, with: scan.pruned) }
    }

    /// Whether the body claims to be this kind (a body of another kind fails later, in the verb).
    func describesBody(_ body: JSONValue) -> Bool {
        guard case .object = body else { return false }
        let apiVersion = kind == "Scale" ? "autoscaling/v1" : type.apiVersion
        if let k = body["kind"]?.stringValue, !k.isEmpty, k != kind { return false }
        if let v = body["apiVersion"]?.stringValue, !v.isEmpty, v != apiVersion { return false }
        return true
    }

    // MARK: patch

    mutating func patch(_ outcome: inout FieldValidationGate.Outcome, contentType: String, singleNode: Bool) throws {
        if contentType == PatchKinds.apply { return try apply(&outcome, singleNode: singleNode) }
        guard PatchKinds.all.contains(contentType),
              let (patch, duplicates) = try? JSONParser.parseReportingDuplicates(outcome.request.body) else { return }
        if singleNode && contentType != PatchKinds.json {
            outcome.warnings += SingleNodeWarnings.warnings(for: patch, storageKey: type.storageKey)
        }
        if let customSchema {
            // JSON patches are pruned after they apply; merge patches are checked as partial objects.
            guard contentType == PatchKinds.merge else { return }
            let errors = StrictDecoding.errors(unknown: [], duplicates: duplicates)
                + StructuralSchema.prune(patch, schema: customSchema, reportNulls: false).unknown.map { "unknown field \"\($0)\"" }
            return try report(errors, &outcome) { Self.invalidPatch(StrictDecoding.goValueString(patch), detail: StrictDecoding.message(errors)) }
        }
        guard let schema else { return }
        let validator = FieldValidator(catalog: catalog, strategicPatch: contentType == PatchKinds.strategic)
        let scan = contentType == PatchKinds.json ? validator.scanJSONPatch(patch, schema: schema)
                                                  : validator.scan(patch, schema: schema, definition: definition)
        // kube quotes the patch as Go prints the decoded map (merge patches) or as JSON (JSON patches).
        let quoted = contentType == PatchKinds.json ? patch.jsonString() : StrictDecoding.goValueString(patch)
        if let first = scan.mismatches.first {
            if isCustomResource { throw APIError.invalid(type, name ?? "", scan.mismatches.map(StrictDecoding.typeCause)) }
            throw Self.invalidPatch(quoted, detail: StrictDecoding.typeErrorDetail(first))
        }
        let errors = StrictDecoding.errors(unknown: scan.unknown, duplicates: contentType == PatchKinds.json ? [] : duplicates)
        try report(errors, &outcome) { Self.invalidPatch(quoted, detail: StrictDecoding.message(errors)) }
        if !scan.unknown.isEmpty && directive == .warn { replaceBody(&outcome, with: scan.pruned) }
    }

    /// Server-side apply: undeclared fields always fail (structured-merge-diff has no
    /// place for them); duplicate keys follow the directive.
    mutating func apply(_ outcome: inout FieldValidationGate.Outcome, singleNode: Bool) throws {
        guard let body = try? BodyDecoding.decodeYAML(outcome.request.body) else { return }
        if singleNode { outcome.warnings += SingleNodeWarnings.warnings(for: body, storageKey: type.storageKey) }
        let duplicates = YAMLDuplicateKeys.find(outcome.request.body)
        if !duplicates.isEmpty {
            let detail = "error converting YAML to JSON: yaml: unmarshal errors:\n" + duplicates.map { "  \($0)" }.joined(separator: "\n")
            try report([detail], &outcome) { APIError.badRequest("error strict decoding YAML: \(detail)") }
        }
        let ns0 = body[path: ["metadata", "namespace"]]?.stringValue ?? namespace ?? ""
        if let customSchema {
            let unknown = describesBody(body) ? StructuralSchema.prune(body, schema: customSchema).unknown : []
            guard !unknown.isEmpty else { return }
            let lines = unknown.map { ".\($0): field not declared in schema" }
            let detail = lines.count == 1 ? lines[0] : "errors:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
            throw APIError(code: 500, reason: "", message: "failed to create typed patch object (\(ns0)/\(body[path: ["metadata", "name"]]?.stringValue ?? name ?? ""); \(type.group)/\(version), Kind=\(kind)): \(detail)")
        }
        guard let schema, describesBody(body) else { return }
        let scan = FieldValidator(catalog: catalog).scan(body, schema: schema, definition: definition)
        let ns = body[path: ["metadata", "namespace"]]?.stringValue ?? namespace ?? ""
        let objName = body[path: ["metadata", "name"]]?.stringValue ?? name ?? ""
        if !scan.unknown.isEmpty {
            throw APIError(code: 500, reason: "", message: StrictDecoding.notDeclared(
                scan.unknown, namespace: ns, name: objName, group: type.group, version: version, kind: kind))
        }
        if let m = scan.mismatches.first {
            throw APIError(code: 500, reason: "", message: "failed to create typed patch object (\(ns)/\(objName); \(type.group)/\(version), Kind=\(kind)): \(m.path.structuredMergeString): expected \(m.expected), got \(m.found)")
        }
    }

    // MARK: helpers

    /// Strict: throws `strictError()`; Warn: adds one warning per error; Ignore: nothing.
    func report(_ errors: [String], _ outcome: inout FieldValidationGate.Outcome, strictError: () -> APIError) throws {
        guard !errors.isEmpty else { return }
        switch directive {
        case .strict: throw strictError()
        case .warn: outcome.warnings += errors
        case .ignore: break
        }
    }

    func replaceBody(_ outcome: inout FieldValidationGate.Outcome, with value: JSONValue) {
        outcome.request.body = value.serialized()
        if Self.isYAML(outcome.request) { outcome.request.headers.replaceOrAdd(name: "Content-Type", value: "application/json") }
    }

    static func isYAML(_ req: HTTPRequest) -> Bool {
        FieldValidationGate.mediaType(req).contains("yaml") && FieldValidationGate.mediaType(req) != PatchKinds.apply
    }

    /// kube-apiserver's 422 for a patch whose result does not decode strictly.
    static func invalidPatch(_ quoted: String, detail: String) -> APIError {
        let cause = FieldCause.invalid("patch", .string(quoted), detail)
        return APIError(code: 422, reason: "Invalid", message: " \"\" is invalid: \(cause.rendered)", causes: [cause])
    }
}
