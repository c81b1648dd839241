import CorralModel
import Foundation

/// Server-side apply (PATCH application/apply-patch+yaml) with field
/// ownership, as kube-apiserver does it: the applied configuration is merged
/// structurally (CorralModel/Apply), conflicts with other managers answer
/// 409 unless `force=true`, fields the manager stopped applying are removed
/// when nobody else owns them, and a missing object is created.
struct ApplyHandler {
    let server: APIServer

    func apply(_ ctx: RequestContext, patch: JSONValue) async throws -> HTTPResponse {
        guard let manager = ctx.param("fieldManager"), !manager.isEmpty else {
            throw APIError.badRequest("PATCH requests with apply patch type require fieldManager")
        }
        let type = ctx.type
        let name = ctx.info.name!
        guard case .object = patch else { throw APIError.badRequest("the body of the request was not a JSON object") }
        if let n = patch[path: ["metadata", "name"]]?.stringValue, n != name {
            throw APIError.badRequest("the name of the object (\(n)) does not match the name on the URL (\(name))")
        }
        // An applied configuration names its type in full, as kube-apiserver requires.
        let version = patch["apiVersion"]?.stringValue ?? ""
        if version != type.apiVersion {
            throw ApplyError.versionMismatch(patch: version, expected: type.apiVersion).apiError
        }
        switch patch["kind"]?.stringValue ?? "" {
        case type.kind: break
        case "": throw APIError.badRequest("Object 'Kind' is missing in the apply patch (expected \"\(type.kind)\")")
        case let k: throw APIError.badRequest("the kind in the apply patch (\(k)) does not match the kind of the resource (\(type.kind))")
        }
        // Parsed like Go's strconv.ParseBool (the Python client sends "True").
        let force = ["1", "t", "T", "true", "TRUE", "True"].contains(ctx.param("force") ?? "")
        let recorder = ManagedFieldsRecorder(ctx)
        let fm = recorder.fieldManager()
        let objects = server.objects
        do {
            let updated = try await objects.modify(type, namespace: ctx.info.namespace, name: name, subresource: ctx.info.subresource,
                                                   dryRun: ctx.dryRun) { cur in
                let managed = (try? ManagedFields.decode(cur[path: ["metadata", "managedFields"]])) ?? []
                let result = try Self.run { try fm.apply(live: cur, config: patch, managed: managed, manager: manager, force: force) }
                var merged = result.object
                // The stored resourceVersion applies unless the configuration sets one (a precondition).
                if patch[path: ["metadata", "resourceVersion"]] == nil {
                    merged.set(path: ["metadata", "resourceVersion"], to: cur[path: ["metadata", "resourceVersion"]])
                }
                merged.set(path: ["metadata", "managedFields"], to: ManagedFields.encode(result.managed))
                return merged
            }
            return try APIServer.json(200, updated)
        } catch let e as APIError where e.code == 404 && e.kind == type.resource && ctx.info.subresource == nil {
            var config = patch
            config.set(path: ["metadata", "name"], to: .string(name))
            let result = try Self.run { try fm.apply(live: nil, config: config, managed: [], manager: manager, force: force) }
            var obj = result.object
            obj.set(path: ["metadata", "managedFields"], to: ManagedFields.encode(result.managed))
            let created = try await objects.create(type, namespace: ctx.info.namespace, object: obj, dryRun: ctx.dryRun)
            return try APIServer.json(201, created)
        }
    }

    /// Runs field-manager code, turning its errors into API errors.
    static func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as ApplyError {
            throw e.apiError
        }
    }
}
