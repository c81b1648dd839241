import CorralModel
import CorralStore
import Foundation

/// The REST verbs on resource paths. Each verb is a small method; watch
/// lives in WatchHandler.swift, list in ListHandler.swift.
struct ResourceHandlers {
    let server: APIServer
    var objects: ObjectService { server.objects }

    func serve(_ ctx: RequestContext) async throws -> HTTPResponse {
        // Tokens, reviews and the RBAC escalation guard (AuthHandlers.swift).
        if let r = try await AuthHandlers(server: server).intercept(ctx, next: { try await self.serve($0) }) { return r }
        let info = ctx.info
        if ctx.type.namespaced && info.namespace == nil && !["list", "watch"].contains(info.verb) {
            // Namespaced objects are addressed inside a namespace, except list/watch across all.
            if info.verb != "create" || ctx.type.storageKey != "namespaces" { throw APIError.notFoundPath() }
        }
        // Verbs on a single object need its name; collections take no name.
        if ["get", "update", "patch", "delete"].contains(info.verb) && info.name == nil { throw APIError.methodNotAllowed() }
        if ["create", "list", "watch", "deletecollection"].contains(info.verb) && info.name != nil {
            if info.verb == "watch" {
                // kube-apiserver allows watching one object by name; serve it as a field-selected watch.
            } else {
                throw APIError.methodNotAllowed()
            }
        }
        if info.subresource != nil && info.name == nil { throw APIError.notFoundPath() }
        if ["create", "update", "patch"].contains(info.verb) { try ManagedFieldsRecorder.validateFieldManager(ctx) }
        switch (info.verb, info.subresource) {
        case ("get", nil): return try await get(ctx)
        case ("get", "status"): return try await get(ctx)
        case ("get", "scale"): return try await getScale(ctx)
        case ("list", nil): return try await ListHandler(server: server).list(ctx)
        case ("watch", nil): return try await WatchHandler(server: server).watch(ctx)
        case ("create", nil): return try await create(ctx)
        case ("update", nil), ("update", "status"): return try await update(ctx)
        case ("update", "scale"): return try await updateScale(ctx, patch: false)
        case ("patch", nil), ("patch", "status"): return try await patch(ctx)
        case ("patch", "scale"): return try await updateScale(ctx, patch: true)
        case ("delete", nil): return try await delete(ctx)
        case ("deletecollection", nil): return try await deleteCollection(ctx)
        case ("update", "finalize"): return try await update(ctx)
        default: throw APIError.methodNotAllowed()
        }
    }

    func decodeBody(_ ctx: RequestContext) throws -> JSONValue {
        try BodyDecoding.decode(ctx.request.body, contentType: ctx.request.headers.first(name: "Content-Type"))
    }

    func respond(_ status: Int, _ obj: JSONValue, _ ctx: RequestContext) throws -> HTTPResponse {
        if TableOutput.wantsTable(ctx.request) {
            return try APIServer.json(status, TableOutput.table(type: ctx.type, objects: [obj], request: ctx.request, listMeta: nil))
        }
        return try APIServer.json(status, obj)
    }

    func get(_ ctx: RequestContext) async throws -> HTTPResponse {
        let obj = try await objects.get(ctx.type, namespace: ctx.info.namespace, name: ctx.info.name!)
        return try respond(200, obj, ctx)
    }

    func create(_ ctx: RequestContext) async throws -> HTTPResponse {
        let body = try decodeBody(ctx)
        let created = try await objects.create(ctx.type, namespace: ctx.info.namespace, object: body, dryRun: ctx.dryRun,
                                               finish: ManagedFieldsRecorder(ctx).hook)
        return try respond(201, created, ctx)
    }

    func update(_ ctx: RequestContext) async throws -> HTTPResponse {
        let body = try decodeBody(ctx)
        let sub = ctx.info.subresource == "finalize" ? nil : ctx.info.subresource
        let updated = try await objects.update(ctx.type, namespace: ctx.info.namespace, name: ctx.info.name!, object: body,
                                               subresource: sub, dryRun: ctx.dryRun, finish: ManagedFieldsRecorder(ctx, subresource: sub ?? "").hook)
        return try respond(200, updated, ctx)
    }

    func patch(_ ctx: RequestContext) async throws -> HTTPResponse {
        let contentType = (ctx.request.headers.first(name: "Content-Type") ?? "").split(separator: ";").first.map {
            String($0).trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        let type = ctx.type
        let name = ctx.info.name!
        let patchBody: JSONValue
        if contentType == PatchKinds.apply {
            patchBody = try BodyDecoding.decode(ctx.request.body, contentType: "application/yaml")
        } else {
            patchBody = try BodyDecoding.decode(ctx.request.body, contentType: "application/json")
        }
        if contentType == PatchKinds.apply {
            return try await ApplyHandler(server: server).apply(ctx, patch: patchBody)
        }
        guard PatchKinds.all.contains(contentType) else { throw APIError.unsupportedMediaType(contentType) }
        let updated = try await objects.modify(type, namespace: ctx.info.namespace, name: name, subresource: ctx.info.subresource,
                                               dryRun: ctx.dryRun, finish: ManagedFieldsRecorder(ctx).hook) { current in
            // modify() keeps the current resourceVersion unless the patch sets one (a precondition).
            try PatchKinds.apply(contentType, patch: patchBody, to: current, type: type)
        }
        return try respond(200, updated, ctx)
    }

    func delete(_ ctx: RequestContext) async throws -> HTTPResponse {
        let body = ctx.request.body.isEmpty ? nil : try? BodyDecoding.decodeJSON(ctx.request.body)
        let options = DeleteOptions.parse(body: body, query: { ctx.param($0) })
        let outcome = try await objects.delete(ctx.type, namespace: ctx.info.namespace, name: ctx.info.name!, options: options,
                                               dryRun: ctx.dryRun)
        switch outcome {
        case .pending(let obj):
            return try respond(200, obj, ctx)
        case .deleted(let obj):
            if ctx.type.storageKey == "pods" { return try respond(200, obj, ctx) }
            let status: JSONValue = ["kind": "Status", "apiVersion": "v1", "metadata": .object(JSONObject()), "status": "Success",
                                     "details": ["name": .string(ctx.info.name!), "group": .string(ctx.type.group),
                                                 "kind": .string(ctx.type.resource),
                                                 "uid": obj[path: ["metadata", "uid"]] ?? ""]]
            return try APIServer.json(200, status)
        }
    }

    func deleteCollection(_ ctx: RequestContext) async throws -> HTTPResponse {
        let body = ctx.request.body.isEmpty ? nil : try? BodyDecoding.decodeJSON(ctx.request.body)
        let options = DeleteOptions.parse(body: body, query: { ctx.param($0) })
        let (items, _) = try await ListHandler(server: server).matching(ctx)
        var deleted: [JSONValue] = []
        for obj in items {
            let name = obj[path: ["metadata", "name"]]?.stringValue ?? ""
            do {
                switch try await objects.delete(ctx.type, namespace: obj[path: ["metadata", "namespace"]]?.stringValue, name: name,
                                                options: options, dryRun: ctx.dryRun) {
                case .deleted(let o), .pending(let o): deleted.append(o)
                }
            } catch let e as APIError where e.code == 404 {
                continue
            }
        }
        let list: JSONValue = ["kind": .string(ctx.type.listKind), "apiVersion": .string(ctx.type.apiVersion),
                               "metadata": .object(JSONObject()), "items": .array(deleted)]
        return try APIServer.json(200, list)
    }

    // MARK: scale

    /// The autoscaling/v1 Scale view of a workload.
    static func scale(of obj: JSONValue, type: ResourceType) -> JSONValue {
        if let s = type.custom?.scale { return CustomResourceScale.scale(of: obj, spec: s) }  // CRD scale paths
        // The selector in label-query form, matchExpressions included (as `kubectl get --selector` takes it);
        // a VMIRS publishes it in status.labelSelector, its CRD's labelSelectorPath in KubeVirt.
        let selector = obj[path: ["status", "labelSelector"]]?.stringValue
            ?? (obj[path: ["spec", "selector"]].flatMap { try? LabelSelector(json: $0) }?.description ?? "")
        return ["kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": ["name": obj[path: ["metadata", "name"]] ?? "", "namespace": obj[path: ["metadata", "namespace"]] ?? "",
                             "uid": obj[path: ["metadata", "uid"]] ?? "", "resourceVersion": obj[path: ["metadata", "resourceVersion"]] ?? "",
                             "creationTimestamp": obj[path: ["metadata", "creationTimestamp"]] ?? .null],
                "spec": ["replicas": obj[path: ["spec", "replicas"]] ?? .int(0)],
                "status": ["replicas": obj[path: ["status", "replicas"]] ?? .int(0), "selector": .string(selector)]]
    }

    func getScale(_ ctx: RequestContext) async throws -> HTTPResponse {
        let obj = try await objects.get(ctx.type, namespace: ctx.info.namespace, name: ctx.info.name!)
        return try APIServer.json(200, Self.scale(of: obj, type: ctx.type))
    }

    func updateScale(_ ctx: RequestContext, patch: Bool) async throws -> HTTPResponse {
        let body = try decodeBody(ctx)
        let type = ctx.type
        let contentType = ctx.request.headers.first(name: "Content-Type") ?? ""
        let updated = try await objects.modify(type, namespace: ctx.info.namespace, name: ctx.info.name!, dryRun: ctx.dryRun,
                                               finish: ManagedFieldsRecorder(ctx, subresource: "scale").hook) { cur in
            var scaleObj = Self.scale(of: cur, type: type)
            if patch {
                let ct = contentType.split(separator: ";").first.map { String($0).lowercased() } ?? ""
                scaleObj = try PatchKinds.apply(ct, patch: body, to: scaleObj, type: type)
            } else {
                scaleObj = body
                if let rv = body[path: ["metadata", "resourceVersion"]]?.stringValue, !rv.isEmpty,
                   rv != cur[path: ["metadata", "resourceVersion"]]?.stringValue {
                    throw APIError.conflict(type, ctx.info.name!)
                }
            }
            guard let replicas = scaleObj[path: ["spec", "replicas"]]?.intValue, replicas >= 0 else {
                throw APIError.invalid(type, ctx.info.name!, [.invalid("spec.replicas", scaleObj[path: ["spec", "replicas"]] ?? .null, "must be greater than or equal to 0")])
            }
            var next = cur
            if let s = type.custom?.scale { next = CustomResourceScale.settingReplicas(next, replicas, spec: s) } else {
                next.set(path: ["spec", "replicas"], to: .int(replicas))
            }
            return next
        }
        return try APIServer.json(200, Self.scale(of: updated, type: type))
    }
}
