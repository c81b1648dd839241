import CorralModel
import CorralStore
import Foundation

/// GET on a collection: selectors, pagination with continue tokens, Table output.
struct ListHandler {
    let server: APIServer

    struct Selectors {
        var labels: LabelSelector
        var fields: FieldSelector
        var isEmpty: Bool { labels.isEmpty && fields.isEmpty }

        func matches(_ obj: JSONValue, _ type: ResourceType) -> Bool {
            labels.matches(LabelSelector.labels(of: obj)) && fields.matches(obj, type: type)
        }
    }

    static func selectors(_ ctx: RequestContext) throws -> Selectors {
        do {
            let l = try LabelSelector.parse(ctx.param("labelSelector") ?? "")
            let f = try FieldSelector.parse(ctx.param("fieldSelector") ?? "")
            try f.validate(for: ctx.type)
            return Selectors(labels: l, fields: f)
        } catch let e as SelectorError {
            throw APIError.badRequest(e.message)
        }
    }

    /// Continue tokens: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"ns/name"} like kube-apiserver's.
    static func encodeContinue(rv: Int64, namespace: String, name: String) -> String {
        let v: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(rv), "start": .string("\(namespace)/\(name)")]
        return Data(v.serialized()).base64EncodedString()
    }

    static func decodeContinue(_ token: String) throws -> (rv: Int64, namespace: String, name: String) {
        guard let data = Data(base64Encoded: token), let v = try? JSONParser.parse([UInt8](data)),
              let rv = v["rv"]?.intValue, let start = v["start"]?.stringValue, let slash = start.firstIndex(of: "/")
        else { throw APIError.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)") }
        return (rv, String(start[..<slash]), String(start[start.index(after: slash)...]))
    }

    /// Every object of the request's type and namespace matching its selectors.
    func matching(_ ctx: RequestContext) async throws -> ([JSONValue], Int64) {
        let sel = try Self.selectors(ctx)
        let (items, rev) = try await server.objects.store.list(storageKey: ctx.type.storageKey, namespace: ctx.info.namespace)
        var out: [JSONValue] = []
        for s in items {
            let o = try s.decoded()
            if sel.matches(o, ctx.type) { out.append(o) }
        }
        return (out, rev)
    }

    func list(_ ctx: RequestContext) async throws -> HTTPResponse {
        let type = ctx.type
        let sel = try Self.selectors(ctx)
        var limit = Int(try ctx.intParam("limit") ?? 0)
        if limit < 0 { limit = 0 }
        if let rv = try ctx.intParam("resourceVersion"), rv > (try await server.objects.store.currentRevision()) {
            throw APIError.timeout("Too large resource version: \(rv), current: \(try await server.objects.store.currentRevision())")
        }
        var after: (String, String)?
        var snapshotRV: Int64?
        if let token = ctx.param("continue"), !token.isEmpty {
            let c = try Self.decodeContinue(token)
            let compacted = server.objects.store.compactedRevision
            if c.rv < compacted {
                throw APIError.expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
            }
            after = (c.namespace, c.name)
            snapshotRV = c.rv
        }
        let wantTable = TableOutput.wantsTable(ctx.request)
        var matched: [StoredObject] = []
        var parsed: [JSONValue] = []
        var revision: Int64 = 0
        var more = false
        var lastKey: ObjectKey?
        // A continued list reads the first page's snapshot; a fresh one reads in chunks.
        if let snapshotRV {
            let all = try await server.objects.store.list(storageKey: type.storageKey, namespace: ctx.info.namespace, atRevision: snapshotRV)
            for s in all where after.map({ (s.key.namespace, s.key.name) > $0 }) ?? true {
                if limit > 0 && matched.count == limit { more = true; break }
                if sel.isEmpty && !wantTable { matched.append(s); continue }
                let o = try s.decoded()
                if sel.matches(o, type) { matched.append(s); parsed.append(o) }
            }
        }
        while snapshotRV == nil {
            let chunk = limit > 0 ? max(limit + 1, 64) : nil
            let (items, rev) = try await server.objects.store.list(storageKey: type.storageKey, namespace: ctx.info.namespace,
                                                                   after: after, limit: chunk)
            if revision == 0 { revision = rev }
            for s in items {
                if limit > 0 && matched.count == limit { more = true; break }
                if sel.isEmpty && !wantTable {
                    matched.append(s)
                } else {
                    let o = try s.decoded()
                    guard sel.matches(o, type) else { lastKey = s.key; continue }
                    matched.append(s)
                    parsed.append(o)
                }
                lastKey = s.key
            }
            if more || chunk == nil || items.count < chunk! { break }
            if let k = lastKey { after = (k.namespace, k.name) }
        }
        let rv = snapshotRV ?? revision
        var meta = JSONObject()
        meta["resourceVersion"] = .string(String(rv))
        if more, let k = matched.last?.key {
            meta["continue"] = .string(Self.encodeContinue(rv: rv, namespace: k.namespace, name: k.name))
        }
        if wantTable {
            let table = try TableOutput.table(type: type, objects: parsed, request: ctx.request, listMeta: .object(meta))
            return try APIServer.json(200, table)
        }
        // Splice the stored bytes: no re-encoding of objects on the hot path.
        var out: [UInt8] = []
        out.reserveCapacity(matched.reduce(128) { $0 + $1.bytes.count + 1 })
        out += Array("{\"kind\":\"\(type.listKind)\",\"apiVersion\":\"\(type.apiVersion)\",\"metadata\":".utf8)
        JSONValue.object(meta).write(into: &out)
        out += Array(",\"items\":[".utf8)
        for (i, s) in matched.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += s.bytes
        }
        out += Array("]}".utf8)
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(out))
    }
}
