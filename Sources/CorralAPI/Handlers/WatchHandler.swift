import CorralModel
import CorralStore
import Foundation

/// Streams watch events, one JSON object per line, from any revision still
/// in history. Registration happens before history is read and live events
/// at or below what was read are skipped, so nothing is missed or repeated.
struct WatchHandler {
    let server: APIServer

    func watch(_ ctx: RequestContext) async throws -> HTTPResponse {
        let type = ctx.type
        let sel = try ListHandler.selectors(ctx)
        let store = server.objects.store
        let rvParam = ctx.param("resourceVersion") ?? ""
        let startRV: Int64?
        if rvParam.isEmpty || rvParam == "0" {
            startRV = nil
        } else if let v = Int64(rvParam) {
            startRV = v
        } else {
            throw APIError.badRequest("resourceVersion: Invalid value: \"\(rvParam)\": must be a non-negative integer")
        }
        let timeout = try ctx.intParam("timeoutSeconds").map { Double(max(0, $0)) } ?? Double(1800 + Int.random(in: 0..<1800))
        let bookmarks = ctx.param("allowWatchBookmarks") == "true"
        let wantTable = TableOutput.wantsTable(ctx.request)
        let namespace = ctx.info.namespace
        let subscription = store.hub.subscribe(storageKey: type.storageKey)

        // Gather what precedes the live stream: a snapshot (no RV) or history.
        var initial: [(ChangeType, JSONValue)] = []
        var seen: Int64
        do {
            if let startRV {
                let changes = try await store.history(storageKey: type.storageKey, after: startRV)
                seen = max(startRV, changes.last?.revision ?? startRV)
                for c in changes {
                    if let t = Self.filter(c, namespace: namespace, sel: sel, type: type) { initial.append((t, c.object)) }
                }
            } else {
                let (items, rev) = try await store.list(storageKey: type.storageKey, namespace: namespace)
                seen = rev
                for s in items {
                    let o = try s.decoded()
                    if sel.matches(o, type) { initial.append((.added, o)) }
                }
            }
        } catch let e as StoreError {
            subscription.cancel()
            guard case .compacted = e else { throw e }
            // kube-apiserver answers 200 and an ERROR event carrying 410 Expired.
            let status = APIError.expired(e.description).status
            let line = Self.line(type: "ERROR", object: status)
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(line))
        }
        let startSeen = seen
        let initialEvents = initial
        let server = self.server
        let request = ctx.request
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream { out in
            defer { subscription.cancel() }
            var last = startSeen
            // Unfiltered JSON watches splice the bytes serialized once at commit.
            let splice = !wantTable
            func send(_ t: String, _ obj: JSONValue) async throws {
                var o = obj
                if wantTable && t != "ERROR" && t != "BOOKMARK" {
                    o = (try? TableOutput.table(type: type, objects: [obj], request: request, listMeta: nil)) ?? obj
                }
                try await out.write(Self.line(type: t, object: o))
            }
            // One stream carries changes and timer ticks; timers only poke it.
            let timer = Task {
                let deadline = Date().addingTimeInterval(timeout)
                while !Task.isCancelled {
                    let left = deadline.timeIntervalSinceNow
                    if left <= 0 { subscription.cancel(); return }
                    let wait = min(left, bookmarks ? server.bookmarkInterval : left)
                    try? await Task.sleep(nanoseconds: UInt64(max(wait, 0.001) * 1e9))
                    if Task.isCancelled { return }
                    if deadline.timeIntervalSinceNow <= 0 { subscription.cancel(); return }
                    if bookmarks { subscription.poke() }
                }
            }
            defer { timer.cancel() }
            do {
                for (t, o) in initialEvents { try await send(t.rawValue, o) }
                for await signal in subscription.stream {
                    switch signal {
                    case .change(let c):
                        if c.revision <= last { continue }
                        last = c.revision
                        guard let t = Self.filter(c, namespace: namespace, sel: sel, type: type) else { continue }
                        if splice {
                            try await out.write(Self.line(type: t.rawValue, bytes: c.objectBytes))
                        } else {
                            try await send(t.rawValue, c.object)
                        }
                    case .tick:
                        let rv = max(last, store.hub.publishedRevision)
                        let bm: JSONValue = ["kind": .string(type.kind), "apiVersion": .string(type.apiVersion),
                                             "metadata": ["resourceVersion": .string(String(rv)), "creationTimestamp": nil]]
                        try await send("BOOKMARK", bm)
                    }
                }
            } catch {
                // The client went away; the stream simply ends.
            }
        })
    }

    /// Applies namespace and selectors to a change, turning selector
    /// transitions into ADDED/DELETED as kube-apiserver does. The event
    /// always carries the change's object.
    static func filter(_ c: Change, namespace: String?, sel: ListHandler.Selectors, type: ResourceType) -> ChangeType? {
        if let namespace, c.key.namespace != namespace { return nil }
        if sel.isEmpty { return c.type }
        let now = sel.matches(c.object, type)
        switch c.type {
        case .added: return now ? .added : nil
        case .deleted:
            let before = c.previous.map { sel.matches($0, type) } ?? now
            return (now || before) ? .deleted : nil
        case .modified:
            let before = c.previous.map { sel.matches($0, type) } ?? false
            switch (before, now) {
            case (true, true): return .modified
            case (false, true): return .added
            case (true, false): return .deleted
            case (false, false): return nil
            }
        }
    }

    static func line(type: String, bytes: [UInt8]) -> [UInt8] {
        var out = Array("{\"type\":\"\(type)\",\"object\":".utf8)
        out.reserveCapacity(out.count + bytes.count + 2)
        out += bytes
        out += Array("}\n".utf8)
        return out
    }

    static func line(type: String, object: JSONValue) -> [UInt8] {
        var out = Array("{\"type\":\"\(type)\",\"object\":".utf8)
        object.write(into: &out)
        out += Array("}\n".utf8)
        return out
    }
}
