import Foundation

/// The `virt-launcher-NAME-xxxxx` pod that stands for a running VMI, as
/// KubeVirt creates it: the VMI's labels plus KubeVirt's, its scheduling
/// constraints, and requests for the guest's memory and CPUs. The node agent
/// recognises it by the `kubevirt.io: virt-launcher` label and runs the VM
/// for it instead of containers.
public enum LauncherPod {
    public static let label = "kubevirt.io"
    public static let labelValue = "virt-launcher"
    public static let vmiNameLabel = "vm.kubevirt.io/name"
    public static let createdByLabel = "kubevirt.io/created-by"
    /// Memory QEMU itself needs beside the guest (KubeVirt adds a similar overhead).
    public static let overheadBytes: Int64 = 64 << 20

    public static func isLauncher(_ pod: JSONValue) -> Bool {
        pod[path: ["metadata", "labels", label]]?.stringValue == labelValue
    }

    public static func make(for vmi: JSONValue, suffix: String) -> JSONValue {
        let name = vmi[path: ["metadata", "name"]]?.stringValue ?? ""
        let uid = vmi[path: ["metadata", "uid"]]?.stringValue ?? ""
        var labels = vmi[path: ["metadata", "labels"]]?.objectValue ?? JSONObject()
        labels[label] = .string(labelValue)
        labels[createdByLabel] = .string(uid)
        labels[vmiNameLabel] = .string(name)
        let spec = vmi["spec"] ?? [:]
        let guestMemory = ResourceQuantity.parse(spec[path: ["domain", "memory", "guest"]])
            ?? ResourceQuantity.parse(spec[path: ["domain", "resources", "requests", "memory"]]) ?? Double(128 << 20)
        let cores = (spec[path: ["domain", "cpu", "cores"]]?.intValue ?? 1) * (spec[path: ["domain", "cpu", "sockets"]]?.intValue ?? 1)
            * (spec[path: ["domain", "cpu", "threads"]]?.intValue ?? 1)
        let cpuRequest = spec[path: ["domain", "resources", "requests", "cpu"]] ?? .string("\(100 * max(cores, 1))m")
        var podSpec = JSONObject()
        podSpec["containers"] = [["name": "compute", "image": "corral.dev/virt-launcher",
                                  "resources": ["requests": ["memory": .string("\(Int64(guestMemory) + overheadBytes)"), "cpu": cpuRequest]]]]
        podSpec["restartPolicy"] = "Never"
        podSpec["terminationGracePeriodSeconds"] = spec["terminationGracePeriodSeconds"] ?? 30
        for k in ["nodeSelector", "tolerations", "affinity", "schedulerName", "priorityClassName"] { if let v = spec[k] { podSpec[k] = v } }
        if let h = spec["hostname"] { podSpec["hostname"] = h }
        return ["apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string("virt-launcher-\(name)-\(suffix)"), "namespace": vmi[path: ["metadata", "namespace"]] ?? "default",
                             "labels": .object(labels),
                             "annotations": ["kubevirt.io/domain": .string(name), "kubectl.kubernetes.io/default-container": "compute"],
                             "ownerReferences": [["apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "name": .string(name),
                                                  "uid": .string(uid), "controller": true, "blockOwnerDeletion": true]]],
                "spec": .object(podSpec)]
    }
}
