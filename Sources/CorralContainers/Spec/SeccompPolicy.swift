import Foundation
import CorralModel

/// Which seccomp profile a container gets, and its OCI form.
public enum SeccompPolicy {
    /// The effective profile kind of a container.
    public enum Choice: Equatable, Sendable {
        case runtimeDefault
        case unconfined
        /// A profile file, relative to the kubelet seccomp root (`localhostProfile`).
        case localhost(String)
    }

    /// container.securityContext.seccompProfile over the pod's; RuntimeDefault when neither is set.
    /// Privileged containers are always unconfined (as in containerd).
    public static func choice(pod: JSONValue, container: JSONValue) -> Choice {
        if container[path: ["securityContext", "privileged"]]?.boolValue == true { return .unconfined }
        let p = container[path: ["securityContext", "seccompProfile"]] ?? pod[path: ["spec", "securityContext", "seccompProfile"]]
        switch p?["type"]?.stringValue {
        case "Unconfined": return .unconfined
        case "Localhost": return .localhost(p?["localhostProfile"]?.stringValue ?? "")
        default: return .runtimeDefault
        }
    }

    /// The `linux.seccomp` value, nil for unconfined. `localhostProfile` is the file content for `.localhost`.
    public static func spec(choice: Choice, caps: [String], arch: String, localhostProfile: String?) throws -> JSONValue? {
        switch choice {
        case .unconfined: return nil
        case .runtimeDefault: return RuntimeDefaultSeccomp.profile(caps: caps, arch: arch)
        case .localhost(let path):
            guard let text = localhostProfile else { throw ContainersError.invalidSeccompProfile("profile \(path) was not provided") }
            return try convert(text, caps: caps, arch: arch)
        }
    }

    /// Accepts a Docker/containerd style profile (archMap, names/name, includes/excludes by caps and arches)
    /// or an OCI `linux.seccomp` object, and returns the OCI form for this container.
    static func convert(_ text: String, caps: [String], arch: String) throws -> JSONValue {
        guard let doc = try? JSONParser.parse(text), let def = doc["defaultAction"]?.stringValue else {
            throw ContainersError.invalidSeccompProfile("not a seccomp profile (no defaultAction)")
        }
        var out: JSONValue = ["defaultAction": .string(def)]
        if let e = doc["defaultErrnoRet"] { out["defaultErrnoRet"] = e }
        let native = RuntimeDefaultSeccomp.architectures(arch).first
        var arches: [String] = doc["architectures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        for m in doc["archMap"]?.arrayValue ?? [] where m["architecture"]?.stringValue == native {
            arches = [native ?? ""] + (m["subArchitectures"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        if !arches.isEmpty { out["architectures"] = .array(arches.map { .string($0) }) }
        var syscalls: [JSONValue] = []
        for s in doc["syscalls"]?.arrayValue ?? [] {
            if let inc = s["includes"], !applies(inc, caps: caps, native: native, all: true) { continue }
            if let exc = s["excludes"], applies(exc, caps: caps, native: native, all: false) { continue }
            var names = s["names"]?.arrayValue ?? []
            if let n = s["name"] { names.append(n) }
            guard !names.isEmpty, let action = s["action"] else { continue }
            var entry: JSONValue = ["names": .array(names), "action": action]
            for k in ["errnoRet", "args"] { if let v = s[k] { entry[k] = v } }
            syscalls.append(entry)
        }
        out["syscalls"] = .array(syscalls)
        return out
    }

    /// Whether an includes (all listed must hold) or excludes (any listed holds) filter matches.
    static func applies(_ filter: JSONValue, caps: [String], native: String?, all: Bool) -> Bool {
        let fc = filter["caps"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let fa = filter["arches"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var checks: [Bool] = []
        if !fc.isEmpty { checks.append(all ? fc.allSatisfy(caps.contains) : fc.contains(where: caps.contains)) }
        if !fa.isEmpty {
            let hostArch = native.map { $0.replacingOccurrences(of: "SCMP_ARCH_", with: "").lowercased() } ?? ""
            let names = fa.map { $0 == "amd64" ? "x86_64" : ($0 == "arm64" ? "aarch64" : $0) }
            checks.append(names.contains(hostArch))
        }
        if checks.isEmpty { return all }
        return all ? checks.allSatisfy { $0 } : checks.contains(true)
    }
}
