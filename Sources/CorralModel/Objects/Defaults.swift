/// Server-side defaults Kubernetes fills in, per type. Only fields that
/// clients and controllers read back are defaulted; the rest stay as sent.
public enum Defaults {
    /// Returns `obj` with the type's defaults applied (idempotent).
    public static func apply(_ obj: JSONValue, type: ResourceType) -> JSONValue {
        var o = obj
        switch type.storageKey {
        case "pods": o["spec"] = podSpec(o["spec"] ?? [:])
        case "services": o = service(o)
        case "namespaces":
            if o[path: ["spec", "finalizers"]] == nil { o.set(path: ["spec"], to: ["finalizers": ["kubernetes"]]) }
            if o[path: ["status", "phase"]] == nil { o.set(path: ["status"], to: ["phase": "Active"]) }
        case "deployments.apps":
            setIfMissing(&o, ["spec", "replicas"], 1)
            setIfMissing(&o, ["spec", "revisionHistoryLimit"], 10)
            setIfMissing(&o, ["spec", "progressDeadlineSeconds"], 600)
            // Fill in only what is missing, as SetDefaults_Deployment does.
            if o[path: ["spec", "strategy"]]?.objectValue == nil { o.set(path: ["spec", "strategy"], to: .object(JSONObject())) }
            setIfMissing(&o, ["spec", "strategy", "type"], "RollingUpdate")
            if o[path: ["spec", "strategy", "type"]]?.stringValue == "RollingUpdate" {
                if o[path: ["spec", "strategy", "rollingUpdate"]]?.objectValue == nil {
                    o.set(path: ["spec", "strategy", "rollingUpdate"], to: .object(JSONObject()))
                }
                setIfMissing(&o, ["spec", "strategy", "rollingUpdate", "maxUnavailable"], "25%")
                setIfMissing(&o, ["spec", "strategy", "rollingUpdate", "maxSurge"], "25%")
            }
            defaultTemplate(&o)
        case "replicasets.apps", "statefulsets.apps":
            setIfMissing(&o, ["spec", "replicas"], 1)
            defaultTemplate(&o)
        case "daemonsets.apps", "jobs.batch":
            defaultTemplate(&o)
        case "secrets":
            setIfMissing(&o, ["type"], "Opaque")
        default: break
        }
        return o
    }

    static func setIfMissing(_ o: inout JSONValue, _ path: [String], _ v: JSONValue) {
        if o[path: path] == nil || o[path: path]!.isNull { o.set(path: path, to: v) }
    }

    static func defaultTemplate(_ o: inout JSONValue) {
        if let spec = o[path: ["spec", "template", "spec"]] {
            o.set(path: ["spec", "template", "spec"], to: podSpec(spec))
        }
    }

    /// Pod spec defaults (restartPolicy, dnsPolicy, grace period, pull policy…).
    public static func podSpec(_ spec: JSONValue) -> JSONValue {
        guard case .object = spec else { return spec }
        var s = spec
        setIfMissing(&s, ["restartPolicy"], "Always")
        setIfMissing(&s, ["dnsPolicy"], "ClusterFirst")
        setIfMissing(&s, ["terminationGracePeriodSeconds"], 30)
        setIfMissing(&s, ["schedulerName"], "default-scheduler")
        setIfMissing(&s, ["securityContext"], .object(JSONObject()))
        for list in ["containers", "initContainers"] {
            guard let cs = s[list]?.arrayValue else { continue }
            s[list] = .array(cs.map(container))
        }
        return s
    }

    static func container(_ c: JSONValue) -> JSONValue {
        guard case .object = c else { return c }
        var c = c
        if c["imagePullPolicy"] == nil, let image = c["image"]?.stringValue {
            // kube: ":latest", or neither tag nor digest → Always; otherwise IfNotPresent.
            let hasDigest = image.contains("@")
            let name = String(image.split(separator: "@", maxSplits: 1).first ?? "")
            let last = name.split(separator: "/").last.map(String.init) ?? name
            let tag = last.contains(":") ? String(last.split(separator: ":").last ?? "") : ""
            c["imagePullPolicy"] = (tag == "latest" || (tag.isEmpty && !hasDigest)) ? "Always" : "IfNotPresent"
        }
        setIfMissing(&c, ["terminationMessagePath"], "/dev/termination-log")
        setIfMissing(&c, ["terminationMessagePolicy"], "File")
        setIfMissing(&c, ["resources"], .object(JSONObject()))
        if let ports = c["ports"]?.arrayValue {
            c["ports"] = .array(ports.map { p in var p = p; if p["protocol"] == nil { p["protocol"] = "TCP" }; return p })
        }
        return c
    }

    static func service(_ obj: JSONValue) -> JSONValue {
        var o = obj
        setIfMissing(&o, ["spec", "type"], "ClusterIP")
        setIfMissing(&o, ["spec", "sessionAffinity"], "None")
        if let ports = o[path: ["spec", "ports"]]?.arrayValue {
            o.set(path: ["spec", "ports"], to: .array(ports.map { p in
                var p = p
                if p["protocol"] == nil { p["protocol"] = "TCP" }
                if p["targetPort"] == nil, let port = p["port"] { p["targetPort"] = port }
                return p
            }))
        }
        return o
    }
}
