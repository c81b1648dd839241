import CorralModel

/// KubeVirt's preconditions for the VMI subresources (virt-api's validate
/// functions), as pure checks over the VMI: each throws the Status virt-api
/// answers, word for word, or returns when the node may be asked.
enum KubeVirtVMIChecks {
    static let vmi = "virtualmachineinstance"

    static func name(_ o: JSONValue) -> String { o[path: ["metadata", "name"]]?.stringValue ?? "" }
    static func running(_ o: JSONValue) -> Bool { o[path: ["status", "phase"]]?.stringValue == "Running" }

    /// The VMI's condition of `type`, if present (whatever its status).
    static func condition(_ o: JSONValue, _ type: String) -> JSONValue? {
        (o[path: ["status", "conditions"]]?.arrayValue ?? []).first { $0["type"]?.stringValue == type }
    }

    static func conflict(_ o: JSONValue, _ detail: String) -> APIError {
        KubeVirtLifecycle.conflict(name(o), detail, resource: vmi)
    }

    /// PUT pause.
    static func pause(_ o: JSONValue) throws {
        guard running(o) else { throw conflict(o, "VM is not running") }  // sic: virt-api says VM here
        if let probe = o[path: ["spec", "livenessProbe"]], !probe.isNull, probe["guestAgentPing"] == nil {
            throw APIError(code: 403, reason: "Forbidden",
                           message: "\(vmi).kubevirt.io \"\(name(o))\" is forbidden: Pausing VMIs with a non-GuestAgentPing LivenessProbe is not supported",
                           name: name(o), group: "kubevirt.io", kind: vmi)
        }
        if condition(o, "Paused") != nil { throw conflict(o, "VMI is already paused") }
    }

    /// PUT unpause (the VM's snapshot check is made by the caller, which has the VM).
    static func unpause(_ o: JSONValue) throws {
        guard running(o) else { throw conflict(o, "VMI is not running") }
        if condition(o, "Paused") == nil { throw conflict(o, "VMI is not paused") }
    }

    /// PUT softreboot.
    static func softReboot(_ o: JSONValue) throws {
        guard running(o) else { throw conflict(o, "VM is not running") }
        if condition(o, "Paused")?["status"]?.stringValue == "True" { throw conflict(o, "VMI is paused") }
        if condition(o, "AgentConnected") == nil, o[path: ["spec", "domain", "features", "acpi", "enabled"]]?.boolValue == false {
            throw conflict(o, "VMI neither have the agent connected nor the ACPI feature enabled")
        }
    }

    /// GET guestosinfo.
    static func guestOSInfo(_ o: JSONValue) throws {
        guard running(o) else { throw conflict(o, "VMI is not running") }
        if condition(o, "AgentConnected") == nil { throw conflict(o, "VMI does not have guest agent connected") }
    }

    /// GET console.
    static func console(_ o: JSONValue) throws {
        if o[path: ["spec", "domain", "devices", "autoattachSerialConsole"]]?.boolValue == false {
            throw APIError.badRequest("No serial consoles are present.")
        }
        if o[path: ["status", "phase"]]?.stringValue == "Failed" { throw conflict(o, "VMI is in failed status") }
        guard running(o) else { throw APIError.badRequest("VMI is not running") }
    }

    /// GET vnc.
    static func vnc(_ o: JSONValue) throws {
        if o[path: ["spec", "domain", "devices", "autoattachGraphicsDevice"]]?.boolValue == false {
            throw APIError.badRequest("No graphics devices are present.")
        }
        guard running(o) else { throw APIError.badRequest("VMI is not running") }
    }
}
