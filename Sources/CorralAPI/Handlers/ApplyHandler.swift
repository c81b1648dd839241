import CorralModel
import Foundation

/// Server-side apply (PATCH application/apply-patch+yaml), first cut: the
/// applied configuration is merged onto the live object with the type's
/// strategic rules, or creates it. Per-field ownership and conflict
/// detection are not built yet (see the API-semantics issue).
struct ApplyHandler {
    let server: APIServer

    func apply(_ ctx: RequestContext, patch: JSONValue) async throws -> HTTPResponse {
        guard let manager = ctx.param("fieldManager"), !manager.isEmpty else {
            throw APIError.badRequest("PATCH requests with apply patch type require fieldManager")
        }
        let type = ctx.type
        let name = ctx.info.name!
        if let n = patch[path: ["metadata", "name"]]?.stringValue, n != name {
            throw APIError.badRequest("the name of the object (\(n)) does not match the name on the URL (\(name))")
        }
        let objects = server.objects
        do {
            let updated = try await objects.modify(type, namespace: ctx.info.namespace, name: name, dryRun: ctx.dryRun) { cur in
                var merged = Patch.supportsStrategic(storageKey: type.storageKey)
                    ? try Patch.applyStrategicMergePatch(patch, to: cur, storageKey: type.storageKey)
                    : Patch.applyMergePatch(patch, to: cur)
                merged.set(path: ["metadata", "resourceVersion"], to: cur[path: ["metadata", "resourceVersion"]])
                merged.set(path: ["metadata", "managedFields"], to: Self.managedFields(cur, manager: manager, apiVersion: type.apiVersion))
                return merged
            }
            return try APIServer.json(200, updated)
        } catch let e as APIError where e.code == 404 && e.kind == type.resource {
            var obj = patch
            obj.set(path: ["metadata", "name"], to: .string(name))
            obj.set(path: ["metadata", "managedFields"], to: Self.managedFields(nil, manager: manager, apiVersion: type.apiVersion))
            let created = try await objects.create(type, namespace: ctx.info.namespace, object: obj, dryRun: ctx.dryRun)
            return try APIServer.json(201, created)
        }
    }

    /// Records `manager` as an Apply manager (without per-field sets yet).
    static func managedFields(_ cur: JSONValue?, manager: String, apiVersion: String) -> JSONValue {
        var entries = (cur?[path: ["metadata", "managedFields"]]?.arrayValue ?? []).filter {
            !($0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == "Apply")
        }
        entries.append(["manager": .string(manager), "operation": "Apply", "apiVersion": .string(apiVersion),
                        "time": .string(ObjectLifecycle.timestamp(Date())), "fieldsType": "FieldsV1", "fieldsV1": .object(JSONObject())])
        return .array(entries)
    }
}
