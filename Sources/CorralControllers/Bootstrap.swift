import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// Facts about this host that the Node object reports.
public struct NodeFacts: Sendable {
    public var name: String
    public var cpus: Int
    public var memoryKiB: Int64
    public var kernelVersion: String
    public var osImage: String
    public var addresses: [String]
    public var ephemeralStorageKiB: Int64

    /// Reads the real host: CPU count, /proc/meminfo, uname, /etc/os-release.
    public static func probe(name: String, addresses: [String], dataDir: String) -> NodeFacts {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        var mem: Int64 = Int64(ProcessInfo.processInfo.physicalMemory / 1024)
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kb = Int64(line.split(separator: " ").dropFirst().first ?? "") { mem = kb }
        var uts = utsname()
        uname(&uts)
        let kernel = withUnsafePointer(to: &uts.release) { $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } }
        var os = "Linux"
        if let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") }) {
            os = line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        var disk: Int64 = 0
        if let attrs = try? FileManager.default.attributesOfFileSystem(forPath: dataDir),
           let size = attrs[.systemSize] as? NSNumber { disk = size.int64Value / 1024 }
        return NodeFacts(name: name, cpus: cpus, memoryKiB: mem, kernelVersion: kernel, osImage: os, addresses: addresses,
                         ephemeralStorageKiB: disk)
    }
}

/// Creates what a fresh cluster has: the default namespaces, the
/// `kubernetes` Service and this host's Node, and keeps the Node's status true.
public enum Bootstrap {
    public static func run(objects: ObjectService, node: NodeFacts, apiPort: Int, logger: Logger) async throws {
        let reg = objects.registry
        let nsType = reg.lookup(group: "", version: "v1", resource: "namespaces")!
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            try await createIfMissing(objects, nsType, nil, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]])
        }
        let svcType = reg.lookup(group: "", version: "v1", resource: "services")!
        try await createIfMissing(objects, svcType, "default", [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["component": "apiserver", "provider": "kubernetes"]],
            "spec": ["type": "ClusterIP", "clusterIP": "10.43.0.1",
                     "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(Int64(apiPort))]]],
        ])
        try await registerNode(objects, node)
    }

    static func createIfMissing(_ objects: ObjectService, _ type: ResourceType, _ ns: String?, _ obj: JSONValue) async throws {
        do {
            _ = try await objects.create(type, namespace: ns, object: obj)
        } catch let e as APIError where e.reason == "AlreadyExists" {
            return
        }
    }

    /// The Node object as kubelet would report it.
    public static func nodeObject(_ n: NodeFacts, now: Date) -> JSONValue {
        let ts = JSONValue.string(ObjectLifecycle.timestamp(now))
        let capacity: JSONValue = ["cpu": .string(String(n.cpus)), "memory": .string("\(n.memoryKiB)Ki"), "pods": "110",
                                   "ephemeral-storage": .string("\(n.ephemeralStorageKiB)Ki")]
        var addresses: [JSONValue] = n.addresses.filter { !$0.hasPrefix("127.") && !$0.contains(":") }.prefix(1)
            .map { ["type": "InternalIP", "address": .string($0)] }
        addresses.append(["type": "Hostname", "address": .string(n.name)])
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(n.name), "labels": [
                "kubernetes.io/hostname": .string(n.name), "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/control-plane": "true"]],
            "spec": ["podCIDR": "10.42.0.0/16", "podCIDRs": ["10.42.0.0/16"]],
            "status": [
                "capacity": capacity, "allocatable": capacity,
                "conditions": [["type": "Ready", "status": "True", "reason": "CorralReady", "message": "corrald is serving",
                                "lastHeartbeatTime": ts, "lastTransitionTime": ts]],
                "addresses": .array(addresses),
                "daemonEndpoints": ["kubeletEndpoint": ["Port": 10250]],
                "nodeInfo": ["machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": .string(n.kernelVersion),
                             "osImage": .string(n.osImage), "containerRuntimeVersion": "corral://0.1.0",
                             "kubeletVersion": "v1.32.0+corral", "kubeProxyVersion": "v1.32.0+corral",
                             "operatingSystem": "linux", "architecture": "amd64"],
            ],
        ]
    }

    static func registerNode(_ objects: ObjectService, _ n: NodeFacts) async throws {
        let type = objects.registry.lookup(group: "", version: "v1", resource: "nodes")!
        let desired = nodeObject(n, now: Date())
        do {
            _ = try await objects.create(type, namespace: nil, object: desired)
        } catch let e as APIError where e.reason == "AlreadyExists" {
            // Refresh status (capacity may have changed since last start); keep user labels and taints.
            _ = try await objects.modify(type, namespace: nil, name: n.name, subresource: "status") { cur in
                var c = cur
                c["status"] = desired["status"]
                return c
            }
        }
    }
}
