import Foundation

/// KubeVirt, CDI and Multus types, printed the way kube-apiserver prints a
/// custom resource: a Name column, then the CRD's additionalPrinterColumns,
/// with a missing value as a null cell (kubectl shows "<none>").
extension TablePrinter {
    /// One additionalPrinterColumn: where the value is and how it is typed.
    struct CRDColumn: Sendable {
        var name: String
        var type: String
        var jsonPath: String
        var priority = 0
        var description: String? = nil
        var value: @Sendable (JSONValue) -> JSONValue?
    }

    static let kubeVirtPrinters: [String: Printer] = [
        "virtualmachines.kubevirt.io": crdPrinter([
            crdAge,
            CRDColumn(name: "Status", type: "string", jsonPath: ".status.printableStatus", description: "Human Readable Status") {
                $0[path: ["status", "printableStatus"]]
            },
            CRDColumn(name: "Ready", type: "string", jsonPath: ".status.conditions[?(@.type=='Ready')].status") { vm in
                if let s = conditionStatus(vm[path: ["status", "conditions"]], "Ready") { return .string(s) }
                // Fallback for VMs whose controller reports only status.ready.
                if let b = vm[path: ["status", "ready"]]?.boolValue { return .string(b ? "True" : "False") }
                return nil
            },
        ]),
        "virtualmachineinstances.kubevirt.io": crdPrinter([
            crdAge,
            CRDColumn(name: "Phase", type: "string", jsonPath: ".status.phase") { $0[path: ["status", "phase"]] },
            CRDColumn(name: "IP", type: "string", jsonPath: ".status.interfaces[0].ipAddress") {
                $0[path: ["status", "interfaces"]]?.arrayValue?.first?["ipAddress"]
            },
            CRDColumn(name: "NodeName", type: "string", jsonPath: ".status.nodeName") { $0[path: ["status", "nodeName"]] },
            crdCondition("Ready", "Ready"),
            crdCondition("Live-Migratable", "LiveMigratable", priority: 1),
            crdCondition("Paused", "Paused", priority: 1),
        ]),
        "virtualmachineinstancereplicasets.kubevirt.io": crdPrinter([
            CRDColumn(name: "Desired", type: "integer", jsonPath: ".spec.replicas",
                      description: "Number of desired VirtualMachineInstances") { $0[path: ["spec", "replicas"]] },
            CRDColumn(name: "Current", type: "integer", jsonPath: ".status.replicas",
                      description: "Number of managed and not final or deleted VirtualMachineInstances") { $0[path: ["status", "replicas"]] },
            CRDColumn(name: "Ready", type: "integer", jsonPath: ".status.readyReplicas",
                      description: "Number of managed VirtualMachineInstances which are ready to receive traffic") { $0[path: ["status", "readyReplicas"]] },
            crdAge,
        ]),
        "datavolumes.cdi.kubevirt.io": crdPrinter([
            CRDColumn(name: "Phase", type: "string", jsonPath: ".status.phase",
                      description: "The phase the data volume is in") { $0[path: ["status", "phase"]] },
            CRDColumn(name: "Progress", type: "string", jsonPath: ".status.progress",
                      description: "Transfer progress in percentage if known, N/A otherwise") { $0[path: ["status", "progress"]] },
            CRDColumn(name: "Restarts", type: "integer", jsonPath: ".status.restartCount",
                      description: "The number of times the transfer has been restarted.") { $0[path: ["status", "restartCount"]] },
            crdAge,
        ]),
        "network-attachment-definitions.k8s.cni.cncf.io": crdPrinter([crdAge]),
    ]

    static let crdAge = CRDColumn(name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp") {
        $0[path: ["metadata", "creationTimestamp"]]
    }

    /// A `.status.conditions[?(@.type=='X')].status` column.
    static func crdCondition(_ name: String, _ type: String, priority: Int = 0) -> CRDColumn {
        CRDColumn(name: name, type: "string", jsonPath: ".status.conditions[?(@.type=='\(type)')].status", priority: priority) {
            conditionStatus($0[path: ["status", "conditions"]], type).map(JSONValue.string)
        }
    }

    /// A printer from CRD columns, converting values as apiextensions' table convertor does.
    static func crdPrinter(_ cols: [CRDColumn]) -> Printer {
        let defs = [nameColumn] + cols.map {
            Column($0.name, $0.type, priority: $0.priority,
                   $0.description ?? "Custom resource definition column (in JSONPath format): \($0.jsonPath)")
        }
        return Printer(columns: defs) { obj, now in
            [.string(name(obj))] + cols.map { crdCell($0.type, $0.value(obj), now) }
        }
    }

    /// One CRD cell: typed value, or null when missing or of the wrong type.
    static func crdCell(_ type: String, _ value: JSONValue?, _ now: Date) -> JSONValue {
        guard let value, !value.isNull else { return .null }
        switch type {
        case "string":
            // JSONPath prints non-strings in their JSON text form.
            if let s = value.stringValue { return .string(s) }
            return .string(value.jsonString())
        case "integer":
            if let i = value.intValue { return .int(i) }
            if case .double(let d) = value, d.isFinite, abs(d) < 9e18 { return .int(Int64(d)) }
            return .null
        case "number":
            if case .int(let i) = value { return .double(Double(i)) }
            if case .double = value { return value }
            return .null
        case "boolean":
            return value.boolValue.map { .bool($0) } ?? .null
        case "date":
            guard let s = value.stringValue else { return .null }
            guard let t = parseTimestamp(s) else { return .string("<invalid>") }
            return .string(humanDuration(now.timeIntervalSince(t)))
        default:
            return .null
        }
    }
}
