import CorralModel
import Foundation

/// Field validation of create, update and patch bodies before the verb runs
/// (`fieldValidation=Strict|Warn|Ignore`, Warn when absent, as in
/// kube-apiserver 1.32): unknown and duplicate fields fail the request in
/// Strict, and become `Warning:` headers and are dropped from the body the
/// verb sees in Warn. Ignore (`kubectl --validate=false`) keeps the body as
/// sent: corral's way to store fields newer than its schemas (kube would
/// drop them). Values of the wrong JSON type fail in every mode, as kube's
/// decoder does. Single-node warnings ride along.
enum FieldValidationGate {
    /// The request the verb should see (unknown fields dropped) and the warnings to send.
    struct Outcome {
        var request: HTTPRequest
        var warnings: [String]
    }

    /// Subresources whose body is the kind itself (or Scale).
    static let checkedSubresources: Set<String?> = [nil, "status", "scale", "finalize"]

    static func check(_ req: HTTPRequest, info: RequestInfo, type: ResourceType, catalog: SchemaCatalog = .shared) throws -> Outcome {
        var outcome = Outcome(request: req, warnings: [])
        guard ["create", "update", "patch"].contains(info.verb), !req.body.isEmpty,
              checkedSubresources.contains(info.subresource) else { return outcome }
        let contentType = Self.mediaType(req)
        guard !contentType.contains("protobuf") else { return outcome }
        guard let directive = FieldValidationDirective.parse(req.param("fieldValidation")) else {
            throw invalidDirective(req.param("fieldValidation") ?? "", verb: info.verb)
        }
        let isScale = info.subresource == "scale"
        let (group, version, kind) = isScale ? ("autoscaling", "v1", "Scale") : (type.group, type.version, type.kind)
        let definition = catalog.definitionName(group: group, version: version, kind: kind)
        let schema = definition.flatMap(catalog.definition)
        var check = BodyCheck(type: type, kind: kind, version: version, directive: directive, schema: schema,
                              definition: definition, catalog: catalog, name: info.name, namespace: info.namespace,
                              customSchema: isScale ? nil : type.custom?.schema)
        if info.verb == "patch" {
            try check.patch(&outcome, contentType: contentType, singleNode: info.subresource == nil)
        } else {
            try check.object(&outcome, yaml: contentType.contains("yaml"), singleNode: info.subresource == nil)
        }
        return outcome
    }

    /// Runs the verb and adds the warnings to its response, success or failure.
    static func respond(warnings: [String], _ run: () async throws -> HTTPResponse) async throws -> HTTPResponse {
        guard !warnings.isEmpty else { return try await run() }
        var response: HTTPResponse
        do {
            response = try await run()
        } catch let e as APIError {
            response = APIServer.statusResponse(e)
        }
        response.headers += warnings.map(header)
        return response
    }

    /// `Warning: 299 - "text"`, the text quoted as RFC 7234 asks. Control
    /// characters (a field name may hold any) cannot travel in a header: they
    /// become spaces. Long texts are cut, as kube-apiserver cuts them.
    static func header(_ text: String) -> (String, String) {
        var clean = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
        if clean.utf8.count > 4096 { clean = String(clean.prefix(4000)) + "..." }
        let quoted = clean.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return ("Warning", "299 - \"\(quoted)\"")
    }

    static func mediaType(_ req: HTTPRequest) -> String {
        (req.headers.first(name: "Content-Type") ?? "application/json").split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// kube-apiserver's refusal of an unsupported directive (CreateOptions/UpdateOptions/PatchOptions validation).
    static func invalidDirective(_ raw: String, verb: String) -> APIError {
        let options = verb == "create" ? "CreateOptions" : verb == "update" ? "UpdateOptions" : "PatchOptions"
        let cause = FieldCause.notSupported("fieldValidation", .string(raw), FieldValidationDirective.supportedValues)
        return APIError(code: 422, reason: "Invalid", message: "\(options).meta.k8s.io \"\" is invalid: \(cause.rendered)",
                        group: "meta.k8s.io", kind: options, causes: [cause])
    }
}
