import XCTest
@testable import CorralModel

/// Pure scheduler rules: pod requests, node fit filters and kube-worded messages.
final class SchedulingTests: XCTestCase {
    func container(_ req: [String: String] = [:], limits: [String: String] = [:], ports: [JSONValue] = [], restart: String? = nil) -> JSONValue {
        var c: JSONValue = ["name": "c", "image": "busybox",
                            "resources": ["requests": .object(JSONObject(req.map { ($0.key, .string($0.value)) })),
                                          "limits": .object(JSONObject(limits.map { ($0.key, .string($0.value)) }))]]
        if !ports.isEmpty { c["ports"] = .array(ports) }
        if let restart { c["restartPolicy"] = .string(restart) }
        return c
    }

    func pod(_ containers: [JSONValue], inits: [JSONValue] = [], spec extra: [String: JSONValue] = [:]) -> JSONValue {
        var spec = JSONObject([("containers", .array(containers))])
        if !inits.isEmpty { spec["initContainers"] = .array(inits) }
        for (k, v) in extra { spec[k] = v }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "default"], "spec": .object(spec)]
    }

    func node(cpu: String = "4", memory: String = "8Gi", pods: String = "110", labels: [String: String] = ["kubernetes.io/hostname": "n1"],
              taints: [JSONValue] = [], unschedulable: Bool = false) -> JSONValue {
        var spec = JSONObject()
        if !taints.isEmpty { spec["taints"] = .array(taints) }
        if unschedulable { spec["unschedulable"] = true }
        return ["apiVersion": "v1", "kind": "Node",
                "metadata": ["name": "n1", "labels": .object(JSONObject(labels.map { ($0.key, .string($0.value)) }))],
                "spec": .object(spec),
                "status": ["allocatable": ["cpu": .string(cpu), "memory": .string(memory), "pods": .string(pods), "ephemeral-storage": "100Gi"]]]
    }

    func testPodRequestsFollowKubeRules() {
        let cases: [(String, JSONValue, ResourceAmounts)] = [
            ("sum of containers", pod([container(["cpu": "100m", "memory": "64Mi"]), container(["cpu": "250m", "memory": "1Gi"])]),
             ResourceAmounts(milliCPU: 350, memory: 64 << 20 + 1 << 30)),
            ("limit stands in for a missing request", pod([container(limits: ["cpu": "1", "memory": "128974848"])]),
             ResourceAmounts(milliCPU: 1000, memory: 128_974_848)),
            ("init container larger than the app wins", pod([container(["cpu": "100m"])], inits: [container(["cpu": "2", "memory": "1e3"])]),
             ResourceAmounts(milliCPU: 2000, memory: 1000)),
            ("sidecars add to the app and to later inits",
             pod([container(["cpu": "100m"])], inits: [container(["cpu": "200m"], restart: "Always"), container(["cpu": "500m"])]),
             ResourceAmounts(milliCPU: 700)),
            ("overhead is added", pod([container(["memory": "1Mi"])], spec: ["overhead": ["memory": "1Ki", "cpu": "1.5"]]),
             ResourceAmounts(milliCPU: 1500, memory: 1_049_600)),
            ("extended resources are scalars", pod([container(["example.com/gpu": "2"])]), ResourceAmounts(scalars: ["example.com/gpu": 2])),
        ]
        for (name, p, want) in cases {
            XCTAssertEqual(PodRequests.of(p), want, name)
        }
    }

    func testNodeFitFilters() {
        let big = pod([container(["memory": "16Gi"])])
        let small = pod([container(["cpu": "100m", "memory": "64Mi"])])
        let tolerate = { (t: JSONValue) in self.pod([self.container(["cpu": "100m"])], spec: ["tolerations": [t]]) }
        let affinity = { (op: String, values: [String]) -> JSONValue in
            self.pod([self.container()], spec: ["affinity": ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": [
                "nodeSelectorTerms": [["matchExpressions": [["key": "rank", "operator": .string(op), "values": .array(values.map { .string($0) })]]]]]]]])
        }
        let ranked = node(labels: ["rank": "5", "disk": "ssd"])
        let cases: [(String, JSONValue, JSONValue, [PodUsage], [String]?)] = [
            ("small pod fits", small, node(), [], nil),
            ("too much memory", big, node(), [], ["Insufficient memory"]),
            ("cpu and memory both short", pod([container(["cpu": "8", "memory": "9Gi"])]), node(), [], ["Insufficient cpu", "Insufficient memory"]),
            ("bound pods use up memory", pod([container(["memory": "5Gi"])]), node(),
             [PodUsage(requests: ResourceAmounts(memory: 4 << 30), hostPorts: [])], ["Insufficient memory"]),
            ("pod count", small, node(pods: "1"), [PodUsage(requests: ResourceAmounts(), hostPorts: [])], ["Too many pods"]),
            ("missing extended resource", pod([container(["example.com/gpu": "1"])]), node(), [], ["Insufficient example.com/gpu"]),
            ("nodeSelector mismatch", pod([container()], spec: ["nodeSelector": ["disk": "hdd"]]), ranked, [],
             ["node(s) didn't match Pod's node affinity/selector"]),
            ("nodeSelector match", pod([container()], spec: ["nodeSelector": ["disk": "ssd"]]), ranked, [], nil),
            ("In matches", affinity("In", ["4", "5"]), ranked, [], nil),
            ("NotIn excludes", affinity("NotIn", ["5"]), ranked, [], ["node(s) didn't match Pod's node affinity/selector"]),
            ("Exists", affinity("Exists", []), ranked, [], nil),
            ("DoesNotExist", affinity("DoesNotExist", []), ranked, [], ["node(s) didn't match Pod's node affinity/selector"]),
            ("Gt", affinity("Gt", ["4"]), ranked, [], nil),
            ("Lt", affinity("Lt", ["5"]), ranked, [], ["node(s) didn't match Pod's node affinity/selector"]),
            ("untolerated taint", small, node(taints: [["key": "dedicated", "value": "gpu", "effect": "NoSchedule"]]), [],
             ["node(s) had untolerated taint {dedicated: gpu}"]),
            ("taint with empty value", small, node(taints: [["key": "node-role.kubernetes.io/control-plane", "effect": "NoExecute"]]), [],
             ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"]),
            ("PreferNoSchedule is only a preference", small, node(taints: [["key": "a", "effect": "PreferNoSchedule"]]), [], nil),
            ("Equal toleration", tolerate(["key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"]),
             node(taints: [["key": "dedicated", "value": "gpu", "effect": "NoSchedule"]]), [], nil),
            ("wrong value does not tolerate", tolerate(["key": "dedicated", "value": "cpu"]),
             node(taints: [["key": "dedicated", "value": "gpu", "effect": "NoSchedule"]]), [], ["node(s) had untolerated taint {dedicated: gpu}"]),
            ("empty key Exists tolerates everything", tolerate(["operator": "Exists"]),
             node(taints: [["key": "x", "value": "y", "effect": "NoExecute"]]), [], nil),
            ("unschedulable node", small, node(unschedulable: true), [], ["node(s) were unschedulable"]),
            ("tolerating unschedulable", tolerate(["key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"]),
             node(unschedulable: true), [], nil),
            ("host port taken", pod([container(ports: [["containerPort": 80, "hostPort": 8080]])]), node(),
             [PodUsage(requests: ResourceAmounts(), hostPorts: [HostPortKey(ip: "0.0.0.0", proto: "TCP", port: 8080)])],
             ["node(s) didn't have free ports for the requested pod ports"]),
            ("same port other protocol", pod([container(ports: [["containerPort": 53, "hostPort": 53, "protocol": "UDP"]])]), node(),
             [PodUsage(requests: ResourceAmounts(), hostPorts: [HostPortKey(ip: "0.0.0.0", proto: "TCP", port: 53)])], nil),
            ("different specific addresses", pod([container(ports: [["containerPort": 80, "hostPort": 80, "hostIP": "10.0.0.2"]])]), node(),
             [PodUsage(requests: ResourceAmounts(), hostPorts: [HostPortKey(ip: "10.0.0.1", proto: "TCP", port: 80)])], nil),
            ("specific address against wildcard", pod([container(ports: [["containerPort": 80, "hostPort": 80, "hostIP": "10.0.0.2"]])]), node(),
             [PodUsage(requests: ResourceAmounts(), hostPorts: [HostPortKey(ip: "0.0.0.0", proto: "TCP", port: 80)])],
             ["node(s) didn't have free ports for the requested pod ports"]),
        ]
        for (name, p, n, used, want) in cases {
            let failure = NodeFit.check(pod: p, node: NodeSnapshot(node: n, pods: used))
            XCTAssertEqual(failure?.reasons, want, name)
        }
    }

    func testUnresolvableFailuresAreMarkedForPreemption() {
        let sel = pod([container()], spec: ["nodeSelector": ["x": "y"]])
        XCTAssertEqual(NodeFit.check(pod: sel, node: NodeSnapshot(node: node()))?.unresolvable, true)
        let big = pod([container(["memory": "1Ti"])])
        XCTAssertEqual(NodeFit.check(pod: big, node: NodeSnapshot(node: node()))?.unresolvable, false)
    }

    func testMessagesMatchKubeScheduler() {
        let mem = FitFailure(reasons: ["Insufficient memory"], unresolvable: false)
        XCTAssertEqual(SchedulingMessages.unschedulable(nodeCount: 1, failures: [mem], preemptionPolicy: nil),
                       "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
        let both = FitFailure(reasons: ["Insufficient memory", "Insufficient cpu"], unresolvable: false)
        XCTAssertEqual(SchedulingMessages.unschedulable(nodeCount: 1, failures: [both], preemptionPolicy: nil),
                       "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.")
        let taint = FitFailure(reasons: ["node(s) had untolerated taint {a: b}"], unresolvable: true)
        XCTAssertEqual(SchedulingMessages.unschedulable(nodeCount: 1, failures: [taint], preemptionPolicy: nil),
                       "0/1 nodes are available: 1 node(s) had untolerated taint {a: b}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
        XCTAssertEqual(SchedulingMessages.unschedulable(nodeCount: 2, failures: [taint, mem], preemptionPolicy: nil),
                       "0/2 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {a: b}. preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.")
        XCTAssertEqual(SchedulingMessages.unschedulable(nodeCount: 1, failures: [mem], preemptionPolicy: "Never"),
                       "0/1 nodes are available: 1 Insufficient memory. preemption: not eligible due to preemptionPolicy=Never.")
        XCTAssertEqual(SchedulingMessages.assigned(namespace: "default", name: "web", node: "n1"), "Successfully assigned default/web to n1")
    }
}
