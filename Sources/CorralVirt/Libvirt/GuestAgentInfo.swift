import CorralModel
import Foundation

/// One value of a libvirt typed parameter (`virTypedParameter`), as read from the C array.
public enum TypedParamValue: Equatable, Sendable {
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)

    /// The value as text (numbers in decimal), for string-valued fields.
    var text: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        }
    }

    /// The value as a signed integer; nil for strings that are not numbers and for out-of-range values.
    var integer: Int64? {
        switch self {
        case .string(let s): return Int64(s)
        case .int(let i): return i
        case .uint(let u): return Int64(exactly: u)
        case .double(let d): return Int64(exactly: d.rounded())
        case .bool: return nil
        }
    }
}

/// Whether a guest agent holds the `org.qemu.guest_agent.0` virtio port open, as libvirt
/// reports it on the channel's `<target state='…'>` in the live domain XML.
public enum GuestAgentChannelState: Equatable, Sendable {
    /// The guest opened the port: an agent is there.
    case connected
    /// The port exists but nothing in the guest has it open.
    case disconnected
    /// The channel exists but libvirt reports no state (QEMU without port events).
    case unknown
    /// The domain has no guest agent channel.
    case absent
}

/// Pure mapping of what libvirt knows about the QEMU guest agent into KubeVirt's shapes.
public enum GuestAgentInfo {
    /// The virtio-serial port name the converter gives the guest agent channel.
    public static let channelName = "org.qemu.guest_agent.0"

    /// The agent channel's state from a live domain XML (`virDomainGetXMLDesc`).
    public static func channelState(domainXML xml: String) -> GuestAgentChannelState {
        for attrs in XMLStartTags.named("target", in: xml) where attrs["name"] == channelName {
            switch attrs["state"] {
            case "connected": return .connected
            case "disconnected": return .disconnected
            default: return .unknown
            }
        }
        return .absent
    }

    /// KubeVirt's `VirtualMachineInstanceGuestAgentInfo` from `virDomainGetGuestInfo`'s flat
    /// parameters (`os.id`, `hostname`, `timezone.name`, `user.0.name`, `fs.0.mountpoint`, …),
    /// plus `guestAgentVersion` and `supportedCommands` from the agent's `guest-info` reply when
    /// there is one (left out, not invented, when there is not). The timezone is KubeVirt's
    /// "ZONE, OFFSET" string, and a user's `loginTime` is libvirt's value (milliseconds since the
    /// epoch), as KubeVirt passes it on.
    public static func document(_ p: [String: TypedParamValue], guestInfoReply: String? = nil) -> JSONValue {
        var doc = JSONObject()
        if let reply = guestInfoReply, let agent = agentFacts(guestInfoReply: reply) {
            doc["guestAgentVersion"] = .string(agent.version)
            // KubeVirt's GuestAgentCommandInfo has `enabled,omitempty`: a disabled command is just its name.
            doc["supportedCommands"] = .array(agent.commands.map { $0.enabled ? ["name": .string($0.name), "enabled": true] : ["name": .string($0.name)] })
        }
        if let h = p["hostname"]?.text, !h.isEmpty { doc["hostname"] = .string(h) }
        var os = JSONObject()
        for (key, field) in osFields { if let v = p["os." + key]?.text, !v.isEmpty { os[field] = .string(v) } }
        doc["os"] = .object(os)
        if p["timezone.name"] != nil || p["timezone.offset"] != nil {
            doc["timezone"] = .string("\(p["timezone.name"]?.text ?? ""), \(p["timezone.offset"]?.integer ?? 0)")
        }
        let users = (0..<count(p, "user")).compactMap { i -> JSONValue? in
            guard let name = p["user.\(i).name"]?.text else { return nil }
            var u = JSONObject([("userName", .string(name))])
            if let d = p["user.\(i).domain"]?.text, !d.isEmpty { u["domain"] = .string(d) }
            if let t = p["user.\(i).login-time"]?.integer, t != 0 { u["loginTime"] = .double(Double(t)) }
            return .object(u)
        }
        if !users.isEmpty { doc["userList"] = .array(users) }
        let disks = (0..<count(p, "fs")).compactMap { i -> JSONValue? in
            guard let mount = p["fs.\(i).mountpoint"]?.text else { return nil }
            return ["diskName": .string(p["fs.\(i).name"]?.text ?? ""), "mountPoint": .string(mount),
                    "fileSystemType": .string(p["fs.\(i).fstype"]?.text ?? ""),
                    "usedBytes": .int(p["fs.\(i).used-bytes"]?.integer ?? 0),
                    "totalBytes": .int(p["fs.\(i).total-bytes"]?.integer ?? 0)]
        }
        doc["fsInfo"] = ["disks": .array(disks)]
        return .object(doc)
    }

    /// The agent version and commands from a QEMU guest agent `guest-info` reply
    /// (`{"return": {"version": "7.2.0", "supported_commands": [{"name": …, "enabled": …}]}}`);
    /// nil when the reply is not that shape.
    public static func agentFacts(guestInfoReply reply: String) -> (version: String, commands: [(name: String, enabled: Bool)])? {
        guard let v = try? JSONParser.parse(Array(reply.utf8)), let ret = v["return"],
              let version = ret["version"]?.stringValue else { return nil }
        let commands = (ret["supported_commands"]?.arrayValue ?? []).compactMap { c -> (name: String, enabled: Bool)? in
            guard let name = c["name"]?.stringValue else { return nil }
            return (name, c["enabled"]?.boolValue ?? false)
        }
        return (version, commands)
    }

    /// KubeVirt's VMI condition type while a guest agent is connected.
    public static let conditionType = "AgentConnected"

    /// VMI conditions with `AgentConnected` set (status True; the transition time kept while it
    /// stays connected, else `now`) or removed when not connected; `connected == nil` (not known
    /// yet) keeps what `previous` had. `conds` are the other conditions, in their order.
    public static func conditions(_ conds: [JSONValue], previous: [JSONValue], connected: Bool?, now: String) -> [JSONValue] {
        let isAgent = { (c: JSONValue) in c["type"]?.stringValue == conditionType }
        var out = conds.filter { !isAgent($0) }
        switch connected {
        case nil:
            out.append(contentsOf: previous.filter(isAgent))
        case false?:
            break
        case true?:
            let was = previous.first { isAgent($0) && $0["status"]?.stringValue == "True" }
            out.append(["type": .string(conditionType), "status": "True", "lastProbeTime": .null,
                        "lastTransitionTime": was?["lastTransitionTime"] ?? .string(now)])
        }
        return out
    }

    /// libvirt's `os.*` keys → KubeVirt's `VirtualMachineInstanceGuestOSInfo` fields.
    static let osFields: [(String, String)] = [
        ("name", "name"), ("kernel-release", "kernelRelease"), ("version", "version"), ("pretty-name", "prettyName"),
        ("version-id", "versionId"), ("kernel-version", "kernelVersion"), ("machine", "machine"), ("id", "id"),
    ]

    /// `PREFIX.count`, bounded so a corrupt count cannot make a huge loop.
    private static func count(_ p: [String: TypedParamValue], _ prefix: String) -> Int {
        Int(max(0, min(p[prefix + ".count"]?.integer ?? 0, 4096)))
    }
}
