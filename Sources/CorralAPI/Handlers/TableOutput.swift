import CorralModel
import Foundation

/// Table negotiation (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`).
enum TableOutput {
    static func wantsTable(_ req: HTTPRequest) -> Bool {
        guard let accept = req.headers.first(name: "Accept") else { return false }
        // Honour the first acceptable media type, as content negotiation does.
        for part in accept.split(separator: ",") {
            let p = part.lowercased()
            if p.contains("as=table") { return p.contains("g=meta.k8s.io") }
            if p.contains("application/json") || p.contains("*/*") { return false }
        }
        return false
    }

    static func table(type: ResourceType, objects: [JSONValue], request: HTTPRequest, listMeta: JSONValue?) throws -> JSONValue {
        let include = request.param("includeObject") ?? "Metadata"
        guard ["None", "Metadata", "Object"].contains(include) else {
            throw APIError.badRequest("includeObject must be one of None, Metadata, Object")
        }
        return TablePrinter.table(type: type, objects: objects, now: Date(), includeObject: include, listMeta: listMeta)
    }
}

/// The patch media types and their engines.
enum PatchKinds {
    static let json = "application/json-patch+json"
    static let merge = "application/merge-patch+json"
    static let strategic = "application/strategic-merge-patch+json"
    static let apply = "application/apply-patch+yaml"
    static let all = [json, merge, strategic]

    static func apply(_ contentType: String, patch: JSONValue, to doc: JSONValue, type: ResourceType) throws -> JSONValue {
        switch contentType {
        case json: return try Patch.applyJSONPatch(patch, to: doc)
        case merge: return try mergeChecked(patch, doc)
        case strategic:
            guard Patch.supportsStrategic(storageKey: type.storageKey) else {
                throw APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
            }
            return try Patch.applyStrategicMergePatch(patch, to: doc, storageKey: type.storageKey)
        default: throw APIError.unsupportedMediaType(contentType)
        }
    }

    static func mergeChecked(_ patch: JSONValue, _ doc: JSONValue) throws -> JSONValue {
        guard case .object = patch else { throw APIError.badRequest("error decoding patch: a merge patch must be a JSON object") }
        return Patch.applyMergePatch(patch, to: doc)
    }
}
