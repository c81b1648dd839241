import Foundation

/// apps/v1 and batch/v1 workloads: deployments, replicasets, statefulsets,
/// daemonsets, jobs. A missing `spec.replicas` counts as 1, the value
/// Kubernetes defaults it to.
extension TablePrinter {
    static let workloadPrinters: [String: Printer] = [
        "deployments.apps": deploymentPrinter,
        "replicasets.apps": replicaSetPrinter,
        "statefulsets.apps": statefulSetPrinter,
        "daemonsets.apps": daemonSetPrinter,
        "jobs.batch": jobPrinter,
    ]

    static let deploymentPrinter = Printer(
        columns: [
            nameColumn,
            Column("Ready", "Number of the pod with ready state"),
            Column("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            Column("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            ageColumn, containersColumn, imagesColumn,
            Column("Selector", priority: 1, "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels."),
        ],
        cells: { d, now in
            let desired = int(d[path: ["spec", "replicas"]], 1)
            let status = d["status"]
            // printDeployment uses selector.String() directly: no "<none>" for an empty one.
            let selector: String
            if let s = try? LabelSelector(json: d[path: ["spec", "selector"]] ?? .null) {
                selector = s.description
            } else {
                selector = "<invalid>"
            }
            let (names, images) = containerCells(d[path: ["spec", "template", "spec"]])
            return [.string(name(d)), .string("\(int(status?["readyReplicas"]))/\(desired)"),
                    .int(int(status?["updatedReplicas"])), .int(int(status?["availableReplicas"])),
                    .string(age(d, now)), names, images, .string(selector)]
        })

    static let replicaSetPrinter = Printer(
        columns: [
            nameColumn,
            Column("Desired", "integer", "Replicas is the number of desired pods."),
            Column("Current", "integer", "Replicas is the most recently observed number of non-terminating pods."),
            Column("Ready", "integer", "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition."),
            ageColumn, containersColumn, imagesColumn,
            Column("Selector", priority: 1, "Selector is a label query over pods that should match the replica count."),
        ],
        cells: { rs, now in
            let (names, images) = containerCells(rs[path: ["spec", "template", "spec"]])
            return [.string(name(rs)), .int(int(rs[path: ["spec", "replicas"]], 1)),
                    .int(int(rs[path: ["status", "replicas"]])), .int(int(rs[path: ["status", "readyReplicas"]])),
                    .string(age(rs, now)), names, images,
                    .string(formatLabelSelector(rs[path: ["spec", "selector"]]))]
        })

    static let statefulSetPrinter = Printer(
        columns: [
            nameColumn,
            Column("Ready", "Number of the pod with ready state"),
            ageColumn, containersColumn, imagesColumn,
        ],
        cells: { s, now in
            let (names, images) = containerCells(s[path: ["spec", "template", "spec"]])
            let ready = int(s[path: ["status", "readyReplicas"]])
            return [.string(name(s)), .string("\(ready)/\(int(s[path: ["spec", "replicas"]], 1))"),
                    .string(age(s, now)), names, images]
        })

    static let daemonSetPrinter = Printer(
        columns: [
            nameColumn,
            Column("Desired", "integer", "The total number of nodes that should be running the daemon pod."),
            Column("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
            Column("Ready", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
            Column("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
            Column("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available."),
            Column("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node."),
            ageColumn, containersColumn, imagesColumn,
            Column("Selector", priority: 1, "A label query over pods that are managed by the daemon set."),
        ],
        cells: { ds, now in
            let st = ds["status"]
            let (names, images) = containerCells(ds[path: ["spec", "template", "spec"]])
            return [.string(name(ds)),
                    .int(int(st?["desiredNumberScheduled"])), .int(int(st?["currentNumberScheduled"])),
                    .int(int(st?["numberReady"])), .int(int(st?["updatedNumberScheduled"])),
                    .int(int(st?["numberAvailable"])),
                    .string(formatLabels(ds[path: ["spec", "template", "spec", "nodeSelector"]])),
                    .string(age(ds, now)), names, images,
                    .string(formatLabelSelector(ds[path: ["spec", "selector"]]))]
        })

    static let jobPrinter = Printer(
        columns: [
            nameColumn,
            Column("Status", "Status of the job."),
            Column("Completions", "The number of pods which reached phase Succeeded."),
            Column("Duration", "Time required to complete the job."),
            ageColumn, containersColumn, imagesColumn,
            Column("Selector", priority: 1, "A label query over pods that should match the pod count."),
        ],
        cells: { job, now in jobCells(job, now) })

    static func jobCells(_ job: JSONValue, _ now: Date) -> [JSONValue] {
        let spec = job["spec"] ?? .null
        let status = job["status"] ?? .null
        let succeeded = int(status["succeeded"])
        let completions: String
        if let c = spec["completions"]?.intValue {
            completions = "\(succeeded)/\(c)"
        } else {
            let parallelism = int(spec["parallelism"])
            completions = parallelism > 1 ? "\(succeeded)/1 of \(parallelism)" : "\(succeeded)/1"
        }
        var duration = ""
        if let start = status["startTime"]?.stringValue.flatMap(parseTimestamp) {
            if let end = status["completionTime"]?.stringValue.flatMap(parseTimestamp) {
                duration = humanDuration(end.timeIntervalSince(start))
            } else {
                duration = humanDuration(now.timeIntervalSince(start))
            }
        }
        let conds = status["conditions"]
        let state: String
        if conditionStatus(conds, "Complete") == "True" {
            state = "Complete"
        } else if conditionStatus(conds, "Failed") == "True" {
            state = "Failed"
        } else if isDeleting(job) {
            state = "Terminating"
        } else if conditionStatus(conds, "Suspended") == "True" {
            state = "Suspended"
        } else if conditionStatus(conds, "FailureTarget") == "True" {
            state = "FailureTarget"
        } else {
            state = "Running"
        }
        let (names, images) = containerCells(spec[path: ["template", "spec"]])
        return [.string(name(job)), .string(state), .string(completions), .string(duration),
                .string(age(job, now)), names, images, .string(formatLabelSelector(spec["selector"]))]
    }
}
