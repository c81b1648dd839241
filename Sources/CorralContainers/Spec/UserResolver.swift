import CorralModel

/// One `/etc/passwd` entry.
public struct PasswdEntry: Equatable, Sendable {
    /// User name, ids and home directory.
    public var name: String, uid: UInt32, gid: UInt32, home: String
}

/// One `/etc/group` entry.
public struct GroupEntry: Equatable, Sendable {
    /// Group name, id and member user names.
    public var name: String, gid: UInt32, members: [String]
}

/// Parsers for the image's `/etc/passwd` and `/etc/group` (the caller reads the files).
public enum PasswdParser {
    /// Entries of a passwd file; malformed lines and comments are skipped.
    public static func passwd(_ text: String) -> [PasswdEntry] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, !f[0].hasPrefix("#"), let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { return nil }
            return PasswdEntry(name: f[0], uid: uid, gid: gid, home: f.count > 5 ? f[5] : "")
        }
    }

    /// Entries of a group file.
    public static func group(_ text: String) -> [GroupEntry] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 3, !f[0].hasPrefix("#"), let gid = UInt32(f[2]) else { return nil }
            let members = f.count > 3 ? f[3].split(separator: ",").map(String.init) : []
            return GroupEntry(name: f[0], gid: gid, members: members)
        }
    }
}

/// The identity a container process runs as.
public struct ResolvedUser: Equatable, Sendable {
    /// User id.
    public var uid: UInt32
    /// Primary group id.
    public var gid: UInt32
    /// Supplementary groups: the user's groups from /etc/group, then supplementalGroups and fsGroup.
    public var additionalGids: [UInt32]
    /// Home directory from passwd (HOME is set to it when the env lacks HOME).
    public var home: String
}

/// Works out uid/gid the way kubelet + containerd do: runAsUser/runAsGroup
/// (container level over pod level) override the image's `User`, names are
/// looked up in the image's passwd/group, and runAsNonRoot is enforced.
public enum UserResolver {
    /// Resolves the user of `container` in `pod` with image user `imageUser` ("", "1000", "app:staff"…).
    public static func resolve(pod: JSONValue, container: JSONValue, imageUser: String,
                               passwd: [PasswdEntry], groups: [GroupEntry]) throws -> ResolvedUser {
        let podSC = pod[path: ["spec", "securityContext"]]
        let sc = container["securityContext"]
        func setting(_ key: String) -> JSONValue? { sc?[key].flatMap { $0.isNull ? nil : $0 } ?? podSC?[key].flatMap { $0.isNull ? nil : $0 } }
        let runAsUser = setting("runAsUser")?.intValue
        let runAsGroup = setting("runAsGroup")?.intValue
        let nonRoot = setting("runAsNonRoot")?.boolValue == true

        let parts = imageUser.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let userPart = parts.first ?? "", groupPart = parts.count > 1 ? parts[1] : ""
        var entry: PasswdEntry?
        var uid: UInt32
        if let u = runAsUser {
            uid = UInt32(truncatingIfNeeded: u)
            entry = passwd.first { $0.uid == uid }
        } else if userPart.isEmpty {
            uid = 0
            entry = passwd.first { $0.uid == 0 }
        } else if let n = UInt32(userPart) {
            uid = n
            entry = passwd.first { $0.uid == n }
        } else {
            guard let e = passwd.first(where: { $0.name == userPart }) else { throw ContainersError.unknownUser(userPart) }
            entry = e
            uid = e.uid
        }
        if nonRoot {
            let who = "(pod: \"\(podDescription(pod))\", container: \(container["name"]?.stringValue ?? ""))"
            if runAsUser != nil, uid == 0 {
                throw ContainersError.runAsNonRoot("container's runAsUser breaks non-root policy \(who)")
            }
            if runAsUser == nil, !userPart.isEmpty, UInt32(userPart) == nil {
                throw ContainersError.runAsNonRoot("container has runAsNonRoot and image has non-numeric user (\(userPart)), cannot verify user is non-root \(who)")
            }
            if uid == 0 { throw ContainersError.runAsNonRoot("container has runAsNonRoot and image will run as root \(who)") }
        }
        var gid = entry?.gid ?? 0
        if let g = runAsGroup {
            gid = UInt32(truncatingIfNeeded: g)
        } else if !groupPart.isEmpty, runAsUser == nil {
            if let n = UInt32(groupPart) { gid = n } else {
                guard let g = groups.first(where: { $0.name == groupPart }) else { throw ContainersError.unknownUser(imageUser) }
                gid = g.gid
            }
        }
        var extra: [UInt32] = []
        if let name = entry?.name {
            for g in groups where g.members.contains(name) && g.gid != gid && !extra.contains(g.gid) { extra.append(g.gid) }
        }
        for v in podSC?["supplementalGroups"]?.arrayValue ?? [] {
            if let n = v.intValue, !extra.contains(UInt32(truncatingIfNeeded: n)) { extra.append(UInt32(truncatingIfNeeded: n)) }
        }
        if let fs = podSC?["fsGroup"]?.intValue, !extra.contains(UInt32(truncatingIfNeeded: fs)) { extra.append(UInt32(truncatingIfNeeded: fs)) }
        return ResolvedUser(uid: uid, gid: gid, additionalGids: extra, home: entry?.home ?? "/")
    }

    /// kubelet's format.Pod: `name_namespace(uid)`.
    static func podDescription(_ pod: JSONValue) -> String {
        let m = pod["metadata"]
        return "\(m?["name"]?.stringValue ?? "")_\(m?["namespace"]?.stringValue ?? "default")(\(m?["uid"]?.stringValue ?? ""))"
    }
}
