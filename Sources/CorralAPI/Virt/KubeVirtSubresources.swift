import CorralModel
import Foundation
import NIOHTTP1

/// KubeVirt's subresource API, /apis/subresources.kubevirt.io/{v1,v1alpha3}/…,
/// as virt-api serves it: discovery, version, the VM lifecycle verbs (start,
/// stop, restart, migrate, expand-spec) and the VMI verbs that need the node
/// (pause, unpause, softreboot, guestosinfo, console, vnc). Requests arrive
/// here already authenticated and authorized (group subresources.kubevirt.io,
/// resource e.g. virtualmachines/start, verb update for PUT and get for GET).
struct KubeVirtSubresources {
    let server: APIServer

    /// True when `parts` (the path split on "/") is under this group.
    static func handles(_ parts: [String]) -> Bool {
        parts.count >= 2 && parts[0] == "apis" && parts[1] == KubeVirtSubresourceDiscovery.group
    }

    func serve(_ req: HTTPRequest, parts: [String]) async throws -> HTTPResponse {
        if parts.count == 2 {
            try require(req, .GET)
            return try APIServer.json(200, KubeVirtSubresourceDiscovery.apiGroup())
        }
        guard KubeVirtSubresourceDiscovery.versions.contains(parts[2]) else { throw APIError.notFoundPath() }
        switch parts.count {
        case 3:
            try require(req, .GET)
            return try APIServer.json(200, KubeVirtSubresourceDiscovery.resourceList(version: parts[2]))
        case 4 where parts[3] == "version":
            try require(req, .GET)
            return try APIServer.json(200, KubeVirtSubresourceDiscovery.version())
        case 4 where parts[3] == "healthz":
            try require(req, .GET)
            return try APIServer.json(200, ["apiserver": ["connectivity": "ok", "version": .string(server.info.gitVersion)]])
        case 6 where parts[3] == "namespaces" && parts[5] == "expand-vm-spec":
            try require(req, .PUT)
            return try KubeVirtExpandSpec.expand(body: req.body, namespace: parts[4])
        case 8 where parts[3] == "namespaces":
            let (namespace, resource, name, sub) = (parts[4], parts[5], parts[6], parts[7])
            if resource == "virtualmachines" { return try await serveVM(req, namespace, name, sub) }
            if resource == "virtualmachineinstances" { return try await serveVMI(req, namespace, name, sub) }
            throw APIError.notFoundPath()
        default:
            throw APIError.notFoundPath()
        }
    }

    // MARK: virtualmachines/NAME/…

    func serveVM(_ req: HTTPRequest, _ ns: String, _ name: String, _ sub: String) async throws -> HTTPResponse {
        switch sub {
        case "start", "stop", "restart":
            try require(req, .PUT)
            let options = try Self.options(req)
            let vm = try await fetchVM(ns, name)
            let vmi = try await fetchVMI(ns, name, required: false)
            let plan: VMLifecyclePlan
            switch sub {
            case "start": plan = try KubeVirtLifecycle.start(vm: vm, vmi: vmi, paused: options["paused"]?.boolValue == true)
            case "stop": plan = try KubeVirtLifecycle.stop(vm: vm, vmi: vmi, gracePeriod: try Self.int(options, "gracePeriod"))
            default: plan = try KubeVirtLifecycle.restart(vm: vm, vmi: vmi, gracePeriodSeconds: try Self.int(options, "gracePeriodSeconds"))
            }
            try await apply(plan, ns: ns, name: name, vmiUID: KubeVirtLifecycle.uid(vmi), dryRun: Self.dryRun(req, options))
            return HTTPResponse(status: 202, headers: [], body: .bytes([]))
        case "migrate":
            try require(req, .PUT)
            _ = try Self.options(req)
            _ = try await fetchVM(ns, name)
            guard let vmi = try await fetchVMI(ns, name, required: true), KubeVirtVMIChecks.running(vmi) else {
                throw KubeVirtLifecycle.conflict(name, "VM is not running")
            }
            throw APIError.badRequest("live migration is not supported on a single-node corral: there is no other node to migrate \(ns)/\(name) to")
        case "expand-spec":
            try require(req, .GET)
            return try APIServer.json(200, try KubeVirtExpandSpec.expanded(try await fetchVM(ns, name), failure: APIError.internalError))
        default:
            throw APIError.notFoundPath()
        }
    }

    /// Writes the plan: the VMI's grace period first (as virt-api does), then the VM change.
    func apply(_ plan: VMLifecyclePlan, ns: String, name: String, vmiUID: String, dryRun: Bool) async throws {
        if let grace = plan.vmiGracePeriod {
            do {
                _ = try await server.objects.modify(try type("virtualmachineinstances"), namespace: ns, name: name, dryRun: dryRun) { cur in
                    guard KubeVirtLifecycle.uid(cur) == vmiUID else { throw APIError.internalError("the VirtualMachineInstance \(name) was replaced") }
                    var c = cur
                    c.set(path: ["spec", "terminationGracePeriodSeconds"], to: .int(grace))
                    return c
                }
            } catch let e as APIError where e.code != 500 {
                throw APIError.internalError(e.message)  // virt-api reports a failed VMI patch as InternalError
            }
        }
        guard let change = plan.change else { return }
        let sub: String? = if case .stateChange = change { "status" } else { nil }
        _ = try await server.objects.modify(try type("virtualmachines"), namespace: ns, name: name, subresource: sub, dryRun: dryRun) { cur in
            try KubeVirtLifecycle.apply(change, to: cur, name: name)
        }
    }

    // MARK: virtualmachineinstances/NAME/…

    func serveVMI(_ req: HTTPRequest, _ ns: String, _ name: String, _ sub: String) async throws -> HTTPResponse {
        let empty = HTTPResponse(status: 200, headers: [], body: .bytes([]))
        switch sub {
        case "pause", "unpause", "softreboot":
            try require(req, .PUT)
            let options = try Self.options(req)
            if sub == "unpause", let vm = try? await fetchVM(ns, name), let snap = vm[path: ["status", "snapshotInProgress"]], !snap.isNull {
                throw KubeVirtLifecycle.conflict(name, "VM snapshot is in progress")
            }
            let vmi = try await fetchVMI(ns, name, required: true)!
            switch sub {
            case "pause": try KubeVirtVMIChecks.pause(vmi)
            case "unpause": try KubeVirtVMIChecks.unpause(vmi)
            default: try KubeVirtVMIChecks.softReboot(vmi)
            }
            // virt-api honours dryRun for pause and unpause only.
            if sub != "softreboot" && Self.dryRun(req, options) { return empty }
            let node = try self.node()
            let ref = Self.ref(vmi)
            try await Self.nodeCall {
                switch sub {
                case "pause": try await node.pause(ref)
                case "unpause": try await node.unpause(ref)
                default: try await node.softReboot(ref)
                }
            }
            return empty
        case "guestosinfo":
            try require(req, .GET)
            let vmi = try await fetchVMI(ns, name, required: true)!
            try KubeVirtVMIChecks.guestOSInfo(vmi)
            let node = try self.node()
            var info: JSONValue = .null
            try await Self.nodeCall { info = try await node.guestOSInfo(Self.ref(vmi)) }
            return try APIServer.json(200, info)
        case "console", "vnc":
            try require(req, .GET)
            let vmi = try await fetchVMI(ns, name, required: true)!
            if sub == "console" { try KubeVirtVMIChecks.console(vmi) } else { try KubeVirtVMIChecks.vnc(vmi) }
            let hs = try VirtStreamHandshake.accept(req.headers)
            let node = try self.node()
            var channel: (any ByteChannel)?
            try await Self.nodeCall { channel = sub == "console" ? try await node.console(Self.ref(vmi)) : try await node.vnc(Self.ref(vmi)) }
            let bridge = VirtStreamBridge(framing: hs.framing, channel: channel!)
            return WebSocketConnection.upgrade(handshake: hs.headers, abandoned: { await bridge.channel.close() }) { conn, reader in
                await bridge.serve(conn, &reader)
            }
        default:
            throw APIError.notFoundPath()
        }
    }

    // MARK: helpers

    func require(_ req: HTTPRequest, _ method: HTTPMethod) throws {
        guard req.method == method else { throw APIError.methodNotAllowed() }
    }

    func type(_ resource: String) throws -> ResourceType {
        guard let t = server.registry.lookup(group: "kubevirt.io", version: "v1", resource: resource) else {
            throw APIError.internalError("kubevirt.io/v1 \(resource) is not registered")
        }
        return t
    }

    func fetchVM(_ ns: String, _ name: String) async throws -> JSONValue {
        do {
            return try await server.objects.get(try type("virtualmachines"), namespace: ns, name: name)
        } catch let e as APIError where e.code == 404 {
            throw KubeVirtLifecycle.notFound(name, resource: "virtualmachine")
        }
    }

    /// The VMI; nil when missing unless `required` (then KubeVirt's 404).
    func fetchVMI(_ ns: String, _ name: String, required: Bool) async throws -> JSONValue? {
        do {
            return try await server.objects.get(try type("virtualmachineinstances"), namespace: ns, name: name)
        } catch let e as APIError where e.code == 404 {
            if required { throw KubeVirtLifecycle.notFound(name, resource: "virtualmachineinstance") }
            return nil
        }
    }

    /// The debug shim when explicitly enabled (tests), else the node, else 503.
    func node() throws -> any VirtNode {
        if let n = DebugVirtNode.fromEnvironment ?? server.virtNode { return n }
        throw APIError(code: 503, reason: "ServiceUnavailable", message: "virtualization is not available: no node agent is running on this server")
    }

    static func ref(_ vmi: JSONValue) -> VMIRef {
        VMIRef(namespace: vmi[path: ["metadata", "namespace"]]?.stringValue ?? "", name: KubeVirtVMIChecks.name(vmi),
               uid: KubeVirtLifecycle.uid(vmi))
    }

    /// Runs a node call; an APIError passes through, anything else is virt-api's InternalError.
    static func nodeCall(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let e as APIError { throw e } catch { throw APIError.internalError(describe(error)) }
    }

    /// The options object of a PUT (StartOptions, StopOptions, …); an empty body is `{}`.
    static func options(_ req: HTTPRequest) throws -> JSONValue {
        if req.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [:] }
        do {
            let v = try BodyDecoding.decode(req.body, contentType: req.headers.first(name: "Content-Type"))
            guard v.objectValue != nil else { throw APIError.badRequest("the body is not an object") }
            return v
        } catch let e as APIError {
            throw APIError.badRequest("Can not unmarshal Request body to struct, error: \(e.message)")
        }
    }

    /// An optional integer field of the options; another type is a decoding error.
    static func int(_ options: JSONValue, _ field: String) throws -> Int64? {
        guard let v = options[field], !v.isNull else { return nil }
        guard let i = v.intValue else {
            throw APIError.badRequest("Can not unmarshal Request body to struct, error: json: cannot unmarshal \(v.typeName) into Go struct field .\(field) of type int64")
        }
        return i
    }

    /// dryRun from the options body (["All"]) or the query (?dryRun=All).
    static func dryRun(_ req: HTTPRequest, _ options: JSONValue) -> Bool {
        (options["dryRun"]?.arrayValue ?? []).contains("All") || (req.query["dryRun"]?.contains("All") ?? false)
    }
}
