import XCTest
@testable import CorralModel

final class HumanDurationTests: XCTestCase {
    func testBoundaries() {
        let m = 60.0, h = 3600.0, d = 86_400.0
        let cases: [(TimeInterval, String)] = [
            (-3, "<invalid>"), (-2, "<invalid>"), (-1.5, "0s"), (-1, "0s"), (-0.5, "0s"), (0, "0s"),
            (1, "1s"), (59, "59s"), (60, "60s"), (119, "119s"), (119.9, "119s"),
            (2 * m, "2m"), (2 * m + 1, "2m1s"), (3 * m + 2, "3m2s"), (9 * m + 59, "9m59s"),
            (10 * m, "10m"), (10 * m + 30, "10m"), (179 * m + 59, "179m"),
            (3 * h, "3h"), (3 * h + m, "3h1m"), (7 * h + 59 * m, "7h59m"), (7 * h + 59 * m + 59, "7h59m"),
            (8 * h, "8h"), (47 * h + 59 * m, "47h"),
            (48 * h, "2d"), (49 * h, "2d1h"), (7 * d + 23 * h, "7d23h"),
            (8 * d, "8d"), (729 * d, "729d"), (730 * d, "2y"), (731 * d, "2y1d"), (8 * 365 * d - d, "7y364d"),
            (8 * 365 * d, "8y"), (3000 * d, "8y"), (4000 * d, "10y"),
        ]
        for (interval, expected) in cases {
            XCTAssertEqual(TablePrinter.humanDuration(interval), expected, "interval: \(interval)")
        }
    }

    func testTimestamps() {
        let now = TablePrinter.parseTimestamp("2024-03-01T12:00:00Z")!
        XCTAssertEqual(now.timeIntervalSince1970, 1_709_294_400)
        let cases: [(String?, String)] = [
            ("2024-03-01T11:59:55Z", "5s"),
            ("2024-03-01T11:56:58Z", "3m2s"),
            ("2024-03-01T13:00:00+01:00", "0s"),
            ("2024-03-01T11:59:55.500000Z", "4s"),
            ("2024-02-28T09:00:00Z", "2d3h"),
            ("2024-03-01T12:00:05Z", "<invalid>"),
            (nil, "<unknown>"),
            ("", "<unknown>"),
            ("yesterday", "<invalid>"),
        ]
        for (ts, expected) in cases {
            XCTAssertEqual(TablePrinter.translateTimestampSince(ts, now: now), expected, "ts: \(ts ?? "nil")")
        }
        XCTAssertEqual(TablePrinter.rfc3339UTC(now), "2024-03-01T12:00:00Z")
        XCTAssertEqual(TablePrinter.rfc3339UTC(TablePrinter.parseTimestamp("1999-12-31T23:59:59-01:00")!), "2000-01-01T00:59:59Z")
    }
}

final class TablePrinterTests: XCTestCase {
    let registry = ResourceRegistry.builtins()
    let now = TablePrinter.parseTimestamp("2024-03-01T12:00:00Z")!
    let created = "2024-03-01T11:50:00Z" // 10m before `now`

    func type(_ group: String, _ resource: String) -> ResourceType {
        registry.types.first { $0.group == group && $0.resource == resource }!
    }

    func cells(_ group: String, _ resource: String, _ obj: JSONValue) -> [JSONValue] {
        TablePrinter.cells(for: obj, type: type(group, resource), now: now)
    }

    func columnNames(_ group: String, _ resource: String) -> [String] {
        TablePrinter.columns(for: type(group, resource)).map(\.name)
    }

    func meta(_ name: String, _ extra: [(String, JSONValue)] = []) -> JSONValue {
        var m = JSONObject([("name", .string(name)), ("namespace", "default"), ("creationTimestamp", .string(created))])
        for (k, v) in extra { m[k] = v }
        return .object(m)
    }

    // MARK: pods

    func pod(_ status: JSONValue, spec: JSONValue? = nil, metaExtra: [(String, JSONValue)] = []) -> JSONValue {
        ["metadata": meta("p", metaExtra),
         "spec": spec ?? ["containers": [["name": "c", "image": "busybox"]], "nodeName": "node1"],
         "status": status]
    }

    func testPodColumns() {
        XCTAssertEqual(columnNames("", "pods"), ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"])
        let cols = TablePrinter.columns(for: type("", "pods"))
        XCTAssertEqual(cols[0].format, "name")
        XCTAssertEqual(cols.map(\.priority), [0, 0, 0, 0, 0, 1, 1, 1, 1])
    }

    func testPodStatuses() {
        let running: JSONValue = ["running": ["startedAt": "2024-03-01T11:51:00Z"]]
        let twoContainers: JSONValue = ["containers": [["name": "a"], ["name": "b"]]]
        let initSpec: JSONValue = ["initContainers": [["name": "i1"], ["name": "i2"]], "containers": [["name": "c"]]]
        let cases: [(String, JSONValue, [String])] = [
            ("running", pod(["phase": "Running", "podIPs": [["ip": "10.42.0.7"]],
                             "conditions": [["type": "Ready", "status": "True"]],
                             "containerStatuses": [["name": "c", "ready": true, "restartCount": 0, "state": running]]]),
             ["p", "1/1", "Running", "0", "10m", "10.42.0.7", "node1", "<none>", "<none>"]),
            ("pending unscheduled", pod(["phase": "Pending"], spec: ["containers": [["name": "c"]]]),
             ["p", "0/1", "Pending", "0", "10m", "<none>", "<none>", "<none>", "<none>"]),
            ("creating", pod(["phase": "Pending", "containerStatuses": [["name": "c", "ready": false, "restartCount": 0,
                                                                          "state": ["waiting": ["reason": "ContainerCreating"]]]]]),
             ["p", "0/1", "ContainerCreating", "0", "10m", "<none>", "node1", "<none>", "<none>"]),
            ("crashloop with last restart", pod(["phase": "Running", "containerStatuses": [[
                "name": "c", "ready": false, "restartCount": 4,
                "state": ["waiting": ["reason": "CrashLoopBackOff"]],
                "lastState": ["terminated": ["exitCode": 1, "reason": "Error", "finishedAt": "2024-03-01T11:55:00Z"]]]]]),
             ["p", "0/1", "CrashLoopBackOff", "4 (5m ago)", "10m", "<none>", "node1", "<none>", "<none>"]),
            ("completed", pod(["phase": "Succeeded", "containerStatuses": [["name": "c", "ready": false, "restartCount": 0,
                                                                            "state": ["terminated": ["exitCode": 0, "reason": "Completed"]]]]]),
             ["p", "0/1", "Completed", "0", "10m", "<none>", "node1", "<none>", "<none>"]),
            ("exit code", pod(["phase": "Failed", "containerStatuses": [["name": "c", "state": ["terminated": ["exitCode": 3]]]]]),
             ["p", "0/1", "ExitCode:3", "0", "10m", "<none>", "node1", "<none>", "<none>"]),
            ("signal", pod(["phase": "Failed", "containerStatuses": [["name": "c", "state": ["terminated": ["exitCode": 137, "signal": 9]]]]]),
             ["p", "0/1", "Signal:9", "0", "10m", "<none>", "node1", "<none>", "<none>"]),
            ("one of two ready", pod(["phase": "Running", "containerStatuses": [
                ["name": "a", "ready": true, "state": running], ["name": "b", "ready": false, "state": running]]], spec: twoContainers),
             ["p", "1/2", "Running", "0", "10m", "<none>", "<none>", "<none>", "<none>"]),
            ("completed container but another running, not ready", pod(["phase": "Running", "containerStatuses": [
                ["name": "a", "ready": true, "state": running],
                ["name": "b", "ready": false, "state": ["terminated": ["exitCode": 0, "reason": "Completed"]]]]], spec: twoContainers),
             ["p", "1/2", "NotReady", "0", "10m", "<none>", "<none>", "<none>", "<none>"]),
            ("completed container but another running, ready", pod(["phase": "Running",
                "conditions": [["type": "Ready", "status": "True"]], "containerStatuses": [
                ["name": "a", "ready": true, "state": running],
                ["name": "b", "ready": false, "state": ["terminated": ["exitCode": 0, "reason": "Completed"]]]]], spec: twoContainers),
             ["p", "1/2", "Running", "0", "10m", "<none>", "<none>", "<none>", "<none>"]),
            ("init 0/2", pod(["phase": "Pending", "initContainerStatuses": [
                ["name": "i1", "state": ["running": [:]]], ["name": "i2", "state": ["waiting": ["reason": "PodInitializing"]]]]], spec: initSpec),
             ["p", "0/1", "Init:0/2", "0", "10m", "<none>", "<none>", "<none>", "<none>"]),
            ("init 1/2", pod(["phase": "Pending", "initContainerStatuses": [
                ["name": "i1", "state": ["terminated": ["exitCode": 0, "reason": "Completed"]]],
                ["name": "i2", "state": ["running": [:]]]]], spec: initSpec),
             ["p", "0/1", "Init:1/2", "0", "10m", "<none>", "<none>", "<none>", "<none>"]),
            ("init crashloop", pod(["phase": "Pending", "initContainerStatuses": [
                ["name": "i1", "restartCount": 2, "state": ["waiting": ["reason": "CrashLoopBackOff"]]]]], spec: initSpec),
             ["p", "0/1", "Init:CrashLoopBackOff", "2", "10m", "<none>", "<none>", "<none>", "<none>"]),
            ("init error", pod(["phase": "Pending", "initContainerStatuses": [
                ["name": "i1", "state": ["terminated": ["exitCode": 1, "reason": "Error"]]]]], spec: initSpec),
             ["p", "0/1", "Init:Error", "0", "10m", "<none>", "<none>", "<none>", "<none>"]),
            ("init exit code", pod(["phase": "Pending", "initContainerStatuses": [
                ["name": "i1", "state": ["terminated": ["exitCode": 2]]]]], spec: initSpec),
             ["p", "0/1", "Init:ExitCode:2", "0", "10m", "<none>", "<none>", "<none>", "<none>"]),
            ("sidecar init counts as a container", pod(["phase": "Running", "conditions": [["type": "Initialized", "status": "True"]],
                "initContainerStatuses": [["name": "side", "started": true, "ready": true, "restartCount": 1, "state": running]],
                "containerStatuses": [["name": "c", "ready": true, "restartCount": 2, "state": running]]],
                spec: ["initContainers": [["name": "side", "restartPolicy": "Always"]], "containers": [["name": "c"]]]),
             ["p", "2/2", "Running", "3", "10m", "<none>", "<none>", "<none>", "<none>"]),
            ("terminating", pod(["phase": "Running", "containerStatuses": [["name": "c", "ready": true, "state": running]]],
                                metaExtra: [("deletionTimestamp", "2024-03-01T11:59:00Z")]),
             ["p", "1/1", "Terminating", "0", "10m", "<none>", "node1", "<none>", "<none>"]),
            ("node lost", pod(["phase": "Running", "reason": "NodeLost"], metaExtra: [("deletionTimestamp", "2024-03-01T11:59:00Z")]),
             ["p", "0/1", "Unknown", "0", "10m", "<none>", "node1", "<none>", "<none>"]),
            ("succeeded and deleting stays", pod(["phase": "Succeeded"], metaExtra: [("deletionTimestamp", "2024-03-01T11:59:00Z")]),
             ["p", "0/1", "Succeeded", "0", "10m", "<none>", "node1", "<none>", "<none>"]),
            ("evicted", pod(["phase": "Failed", "reason": "Evicted"]),
             ["p", "0/1", "Evicted", "0", "10m", "<none>", "node1", "<none>", "<none>"]),
            ("scheduling gated", pod(["phase": "Pending", "conditions": [["type": "PodScheduled", "status": "False", "reason": "SchedulingGated"]]]),
             ["p", "0/1", "SchedulingGated", "0", "10m", "<none>", "node1", "<none>", "<none>"]),
            ("readiness gates and nominated node", pod(["phase": "Pending", "nominatedNodeName": "node9",
                "conditions": [["type": "x/a", "status": "True"], ["type": "x/b", "status": "False"]]],
                spec: ["containers": [["name": "c"]], "readinessGates": [["conditionType": "x/a"], ["conditionType": "x/b"]]]),
             ["p", "0/1", "Pending", "0", "10m", "<none>", "<none>", "node9", "1/2"]),
        ]
        for (label, obj, expected) in cases {
            XCTAssertEqual(cells("", "pods", obj), expected.map(JSONValue.string), label)
        }
    }

    func testPodRowConditions() {
        let t = TablePrinter.table(type: type("", "pods"), objects: [pod(["phase": "Succeeded"]), pod(["phase": "Running"])],
                                   now: now, includeObject: "None", listMeta: nil)
        let rows = t["rows"]?.arrayValue ?? []
        XCTAssertEqual(rows[0]["conditions"], [["type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."]])
        XCTAssertNil(rows[1]["conditions"])
    }

    // MARK: workloads

    func testDeployment() {
        XCTAssertEqual(columnNames("apps", "deployments"), ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"])
        let d: JSONValue = [
            "metadata": meta("web"),
            "spec": ["replicas": 3, "selector": ["matchLabels": ["app": "web"]],
                     "template": ["spec": ["containers": [["name": "nginx", "image": "nginx:1.25"], ["name": "side", "image": "busybox"]]]]],
            "status": ["replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2],
        ]
        XCTAssertEqual(cells("apps", "deployments", d),
                       ["web", "2/3", 3, 2, "10m", "nginx,side", "nginx:1.25,busybox", "app=web"])
        let fresh: JSONValue = ["metadata": meta("new"), "spec": ["selector": ["matchExpressions": [["key": "a", "operator": "Exists"]]]]]
        XCTAssertEqual(cells("apps", "deployments", fresh), ["new", "0/1", 0, 0, "10m", "", "", "a"])
    }

    func testOtherWorkloads() {
        let rs: JSONValue = ["metadata": meta("web-1"), "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "web"]]],
                             "status": ["replicas": 2, "readyReplicas": 1]]
        XCTAssertEqual(cells("apps", "replicasets", rs), ["web-1", 2, 2, 1, "10m", "", "", "app=web"])
        let sts: JSONValue = ["metadata": meta("db"), "spec": ["replicas": 3], "status": ["readyReplicas": 3]]
        XCTAssertEqual(cells("apps", "statefulsets", sts), ["db", "3/3", "10m", "", ""])
        let ds: JSONValue = ["metadata": meta("agent"),
                             "spec": ["template": ["spec": ["nodeSelector": ["kubernetes.io/os": "linux"]]]],
                             "status": ["desiredNumberScheduled": 1, "currentNumberScheduled": 1, "numberReady": 1,
                                        "updatedNumberScheduled": 1, "numberAvailable": 1]]
        XCTAssertEqual(cells("apps", "daemonsets", ds), ["agent", 1, 1, 1, 1, 1, "kubernetes.io/os=linux", "10m", "", "", "<none>"])
        let job: JSONValue = ["metadata": meta("backup"), "spec": ["completions": 1],
                              "status": ["succeeded": 1, "startTime": "2024-03-01T11:50:00Z", "completionTime": "2024-03-01T11:50:42Z",
                                         "conditions": [["type": "Complete", "status": "True"]]]]
        XCTAssertEqual(cells("batch", "jobs", job), ["backup", "Complete", "1/1", "42s", "10m", "", "", "<none>"])
        let running: JSONValue = ["metadata": meta("par"), "spec": ["parallelism": 3],
                                  "status": ["startTime": "2024-03-01T11:57:00Z"]]
        XCTAssertEqual(cells("batch", "jobs", running), ["par", "Running", "0/1 of 3", "3m", "10m", "", "", "<none>"])
    }

    // MARK: services and core

    func testServices() {
        XCTAssertEqual(columnNames("", "services"), ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"])
        func svc(_ spec: JSONValue, _ status: JSONValue = [:]) -> JSONValue { ["metadata": meta("s"), "spec": spec, "status": status] }
        let cases: [(String, JSONValue, [JSONValue])] = [
            ("cluster ip", svc(["type": "ClusterIP", "clusterIP": "10.43.0.10", "clusterIPs": ["10.43.0.10"],
                                "ports": [["port": 80, "protocol": "TCP"], ["port": 53, "protocol": "UDP"]], "selector": ["app": "web"]]),
             ["s", "ClusterIP", "10.43.0.10", "<none>", "80/TCP,53/UDP", "10m", "app=web"]),
            ("node port", svc(["type": "NodePort", "clusterIP": "10.43.0.11", "ports": [["port": 80, "nodePort": 30080, "protocol": "TCP"]]]),
             ["s", "NodePort", "10.43.0.11", "<none>", "80:30080/TCP", "10m", "<none>"]),
            ("headless", svc(["clusterIP": "None", "clusterIPs": ["None"], "ports": [["port": 5432]]]),
             ["s", "ClusterIP", "None", "<none>", "5432/TCP", "10m", "<none>"]),
            ("external ips", svc(["type": "ClusterIP", "clusterIP": "10.43.0.12", "externalIPs": ["192.0.2.1"]]),
             ["s", "ClusterIP", "10.43.0.12", "192.0.2.1", "<none>", "10m", "<none>"]),
            ("lb pending", svc(["type": "LoadBalancer", "clusterIP": "10.43.0.13", "ports": [["port": 443, "nodePort": 31443, "protocol": "TCP"]]]),
             ["s", "LoadBalancer", "10.43.0.13", "<pending>", "443:31443/TCP", "10m", "<none>"]),
            ("lb ready", svc(["type": "LoadBalancer", "clusterIP": "10.43.0.13"], ["loadBalancer": ["ingress": [["ip": "198.51.100.7"]]]]),
             ["s", "LoadBalancer", "10.43.0.13", "198.51.100.7", "<none>", "10m", "<none>"]),
            ("external name", svc(["type": "ExternalName", "externalName": "db.example.com"]),
             ["s", "ExternalName", "<none>", "db.example.com", "<none>", "10m", "<none>"]),
        ]
        for (label, obj, expected) in cases {
            XCTAssertEqual(cells("", "services", obj), expected, label)
        }
    }

    func testCoreTypes() {
        let ep: JSONValue = ["metadata": meta("web"), "subsets": [
            ["addresses": [["ip": "10.42.0.5"], ["ip": "10.42.0.6"]], "ports": [["port": 8080]]],
            ["addresses": [["ip": "fd00::1"], ["ip": "10.42.0.8"]], "ports": [["port": 80]]]]]
        XCTAssertEqual(cells("", "endpoints", ep), ["web", "10.42.0.5:8080,10.42.0.6:8080,[fd00::1]:80 + 1 more...", "10m"])
        XCTAssertEqual(cells("", "endpoints", ["metadata": meta("none")]), ["none", "<none>", "10m"])
        XCTAssertEqual(cells("", "namespaces", ["metadata": meta("default"), "status": ["phase": "Active"]]), ["default", "Active", "10m"])
        XCTAssertEqual(cells("", "configmaps", ["metadata": meta("cm"), "data": ["a": "1", "b": "2"], "binaryData": ["c": "AA=="]]), ["cm", 3, "10m"])
        XCTAssertEqual(cells("", "secrets", ["metadata": meta("s"), "type": "kubernetes.io/tls", "data": ["tls.crt": "", "tls.key": ""]]),
                       ["s", "kubernetes.io/tls", 2, "10m"])
        XCTAssertEqual(cells("", "serviceaccounts", ["metadata": meta("default")]), ["default", 0, "10m"])
        XCTAssertEqual(columnNames("", "persistentvolumeclaims"),
                       ["Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age", "VolumeMode"])
        let pvc: JSONValue = ["metadata": meta("data"), "spec": ["volumeName": "pv-1", "storageClassName": "local"],
                              "status": ["phase": "Bound", "accessModes": ["ReadWriteOnce", "ReadWriteMany"], "capacity": ["storage": "10Gi"]]]
        XCTAssertEqual(cells("", "persistentvolumeclaims", pvc), ["data", "Bound", "pv-1", "10Gi", "RWO,RWX", "local", "<unset>", "10m", "<unset>"])
        let pv: JSONValue = ["metadata": meta("pv-1"), "spec": ["capacity": ["storage": "10Gi"], "accessModes": ["ReadWriteOnce"],
                                                                "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "local",
                                                                "claimRef": ["namespace": "default", "name": "data"], "volumeMode": "Filesystem"],
                             "status": ["phase": "Bound"]]
        XCTAssertEqual(cells("", "persistentvolumes", pv),
                       ["pv-1", "10Gi", "RWO", "Retain", "Bound", "default/data", "local", "<unset>", "", "10m", "Filesystem"])
    }

    func testNodes() {
        let node: JSONValue = [
            "metadata": ["name": "lab1", "creationTimestamp": .string(created),
                         "labels": ["node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/worker": "", "kubernetes.io/role": "edge"]],
            "spec": ["unschedulable": true],
            "status": ["conditions": [["type": "MemoryPressure", "status": "False"], ["type": "Ready", "status": "True"]],
                       "addresses": [["type": "InternalIP", "address": "192.168.1.10"], ["type": "Hostname", "address": "lab1"]],
                       "nodeInfo": ["kubeletVersion": "v1.32.0", "osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.1.0",
                                    "containerRuntimeVersion": "runc://1.1.12"]],
        ]
        XCTAssertEqual(cells("", "nodes", node), ["lab1", "Ready,SchedulingDisabled", "control-plane,edge,worker", "10m", "v1.32.0",
                                                  "192.168.1.10", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0", "runc://1.1.12"])
        let bare: JSONValue = ["metadata": ["name": "n"], "status": ["conditions": [["type": "Ready", "status": "Unknown"]]]]
        XCTAssertEqual(cells("", "nodes", bare), ["n", "NotReady", "<none>", "<unknown>", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"])
        XCTAssertEqual(cells("", "nodes", ["metadata": ["name": "x"]])[1], "Unknown")
    }

    func testEvents() {
        XCTAssertEqual(columnNames("", "events"), ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"])
        let ev: JSONValue = ["metadata": meta("p.123"), "involvedObject": ["kind": "Pod", "name": "p", "fieldPath": "spec.containers{c}"],
                             "reason": "Pulled", "message": " Image pulled \n", "type": "Normal",
                             "source": ["component": "kubelet", "host": "lab1"],
                             "firstTimestamp": "2024-03-01T11:40:00Z", "lastTimestamp": "2024-03-01T11:58:00Z", "count": 3]
        XCTAssertEqual(cells("", "events", ev), ["2m", "Normal", "Pulled", "pod/p", "spec.containers{c}", "kubelet, lab1",
                                                 "Image pulled", "20m", 3, "p.123"])
        let v1: JSONValue = ["metadata": meta("vm.1"), "regarding": ["kind": "VirtualMachine", "name": "vm"], "note": "Started",
                             "reason": "Started", "type": "Normal", "reportingController": "corral", "eventTime": "2024-03-01T11:59:30.000000Z"]
        XCTAssertEqual(cells("events.k8s.io", "events", v1), ["30s", "Normal", "Started", "virtualmachine/vm", "", "corral",
                                                              "Started", "30s", 1, "vm.1"])
    }

    func testClusterTypes() {
        XCTAssertEqual(cells("coordination.k8s.io", "leases", ["metadata": meta("lock"), "spec": ["holderIdentity": "corrald"]]),
                       ["lock", "corrald", "10m"])
        let sc: JSONValue = ["metadata": ["name": "local", "creationTimestamp": .string(created),
                                          "annotations": ["storageclass.kubernetes.io/is-default-class": "true"]],
                             "provisioner": "corral.dev/local"]
        XCTAssertEqual(cells("storage.k8s.io", "storageclasses", sc), ["local (default)", "corral.dev/local", "Delete", "Immediate", false, "10m"])
        XCTAssertEqual(columnNames("rbac.authorization.k8s.io", "clusterroles"), ["Name", "Created At"])
        XCTAssertEqual(cells("rbac.authorization.k8s.io", "clusterroles", ["metadata": meta("admin")]), ["admin", "2024-03-01T11:50:00Z"])
        let rb: JSONValue = ["metadata": meta("rb"), "roleRef": ["kind": "ClusterRole", "name": "view"],
                             "subjects": [["kind": "User", "name": "alice"], ["kind": "ServiceAccount", "namespace": "ns", "name": "sa"]]]
        XCTAssertEqual(cells("rbac.authorization.k8s.io", "rolebindings", rb), ["rb", "ClusterRole/view", "10m", "alice", "", "ns/sa"])
        XCTAssertEqual(cells("networking.k8s.io", "networkpolicies", ["metadata": meta("np"), "spec": [:]]), ["np", "<none>", "10m"])
    }

    // MARK: KubeVirt

    func testVirtualMachines() {
        XCTAssertEqual(columnNames("kubevirt.io", "virtualmachines"), ["Name", "Age", "Status", "Ready"])
        let cols = TablePrinter.columns(for: type("kubevirt.io", "virtualmachines"))
        XCTAssertEqual(cols.map(\.type), ["string", "date", "string", "string"])
        let cases: [(String, JSONValue, [JSONValue])] = [
            ("running", ["metadata": meta("vm1"), "status": ["printableStatus": "Running", "ready": true,
                                                            "conditions": [["type": "Ready", "status": "True"]]]],
             ["vm1", "10m", "Running", "True"]),
            ("stopped", ["metadata": meta("vm2"), "status": ["printableStatus": "Stopped",
                                                            "conditions": [["type": "Ready", "status": "False"]]]],
             ["vm2", "10m", "Stopped", "False"]),
            ("ready flag only", ["metadata": meta("vm3"), "status": ["printableStatus": "Starting", "ready": false]],
             ["vm3", "10m", "Starting", "False"]),
            ("no status", ["metadata": meta("vm4")], ["vm4", "10m", nil, nil]),
        ]
        for (label, obj, expected) in cases {
            XCTAssertEqual(cells("kubevirt.io", "virtualmachines", obj), expected, label)
        }
    }

    func testVirtualMachineInstances() {
        XCTAssertEqual(columnNames("kubevirt.io", "virtualmachineinstances"),
                       ["Name", "Age", "Phase", "IP", "NodeName", "Ready", "Live-Migratable", "Paused"])
        let vmi: JSONValue = ["metadata": meta("vm1"),
                              "status": ["phase": "Running", "nodeName": "lab1",
                                         "interfaces": [["ipAddress": "10.42.0.20", "name": "default"], ["ipAddress": "192.168.50.4"]],
                                         "conditions": [["type": "Ready", "status": "True"], ["type": "LiveMigratable", "status": "False"]]]]
        XCTAssertEqual(cells("kubevirt.io", "virtualmachineinstances", vmi),
                       ["vm1", "10m", "Running", "10.42.0.20", "lab1", "True", "False", nil])
        XCTAssertEqual(cells("kubevirt.io", "virtualmachineinstances", ["metadata": meta("pending"), "status": ["phase": "Pending"]]),
                       ["pending", "10m", "Pending", nil, nil, nil, nil, nil])
        XCTAssertEqual(cells("kubevirt.io", "virtualmachineinstancereplicasets",
                             ["metadata": meta("rs"), "spec": ["replicas": 2], "status": ["replicas": 2, "readyReplicas": 1]]),
                       ["rs", 2, 2, 1, "10m"])
        XCTAssertEqual(columnNames("cdi.kubevirt.io", "datavolumes"), ["Name", "Phase", "Progress", "Restarts", "Age"])
        XCTAssertEqual(cells("cdi.kubevirt.io", "datavolumes",
                             ["metadata": meta("disk"), "status": ["phase": "ImportInProgress", "progress": "42.0%", "restartCount": 0]]),
                       ["disk", "ImportInProgress", "42.0%", 0, "10m"])
    }

    // MARK: table envelope

    func testTableEnvelopeAndIncludeObject() {
        let cm: JSONValue = ["kind": "ConfigMap", "apiVersion": "v1", "metadata": meta("cm"), "data": ["a": "1"]]
        let t = TablePrinter.table(type: type("", "configmaps"), objects: [cm], now: now, includeObject: "Metadata",
                                   listMeta: ["resourceVersion": "42", "continue": "abc"])
        XCTAssertEqual(t["kind"], "Table")
        XCTAssertEqual(t["apiVersion"], "meta.k8s.io/v1")
        XCTAssertEqual(t["metadata"], ["resourceVersion": "42", "continue": "abc"])
        XCTAssertEqual(t["columnDefinitions"]?.arrayValue?.first,
                       ["name": "Name", "type": "string", "format": "name",
                        "description": .string(TablePrinter.nameDescription), "priority": 0])
        let row = t["rows"]?.arrayValue?.first
        XCTAssertEqual(row?["cells"], ["cm", 1, "10m"])
        XCTAssertEqual(row?["object"], ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta("cm")])

        let full = TablePrinter.table(type: type("", "configmaps"), objects: [cm], now: now, includeObject: "Object", listMeta: nil)
        XCTAssertEqual(full["rows"]?.arrayValue?.first?["object"], cm)
        XCTAssertEqual(full["metadata"], [:])
        let none = TablePrinter.table(type: type("", "configmaps"), objects: [cm], now: now, includeObject: "None", listMeta: nil)
        XCTAssertNil(none["rows"]?.arrayValue?.first?["object"])
        let empty = TablePrinter.table(type: type("", "configmaps"), objects: [], now: now, includeObject: "", listMeta: nil)
        XCTAssertEqual(empty["rows"], [])
        // The Table serializes to JSON.
        XCTAssertNoThrow(try JSONParser.parse(t.jsonString()))
    }

    func testUnknownTypeFallsBackToNameAndAge() {
        let crd = ResourceType(group: "example.com", version: "v1", kind: "Widget", resource: "widgets")
        XCTAssertEqual(TablePrinter.columns(for: crd).map(\.name), ["Name", "Age"])
        XCTAssertEqual(TablePrinter.cells(for: ["metadata": meta("w")], type: crd, now: now), ["w", "10m"])
        XCTAssertEqual(TablePrinter.cells(for: ["metadata": ["name": "x"]], type: crd, now: now), ["x", "<unknown>"])
        XCTAssertEqual(columnNames("k8s.cni.cncf.io", "network-attachment-definitions"), ["Name", "Age"])
    }

    func testEveryBuiltinHasAPrinterWithMatchingCellCount() {
        for t in registry.types {
            let cols = TablePrinter.columns(for: t)
            let row = TablePrinter.cells(for: ["metadata": meta("x")], type: t, now: now)
            XCTAssertEqual(cols.count, row.count, t.storageKey)
            XCTAssertTrue(cols.contains { $0.format == "name" }, t.storageKey)
        }
    }
}
