import CorralModel

/// One write a VM lifecycle request makes, with the value it expects to find
/// (KubeVirt sends these as JSON patches with a `test` op; here the check runs
/// inside the write's transaction).
enum VMLifecycleChange: Equatable {
    /// Sets spec.runStrategy, or the legacy spec.running when the VM uses it.
    case spec(field: String, expected: JSONValue?, value: JSONValue)
    /// Sets status.stateChangeRequests (and drops status.startFailure, as KubeVirt does).
    case stateChange(expected: [JSONValue], requests: [JSONValue])
}

/// What start/stop/restart do to a VM: an optional grace-period patch of its
/// VMI (spec.terminationGracePeriodSeconds), then at most one VM change.
struct VMLifecyclePlan: Equatable {
    var vmiGracePeriod: Int64?
    var change: VMLifecycleChange?
}

/// KubeVirt's virt-api rules for the VM subresources start, stop and restart
/// (pkg/virt-api/rest/lifecycle.go), as pure decisions over the VM and its VMI.
/// Errors are the Status KubeVirt answers, word for word.
enum KubeVirtLifecycle {
    /// The effective run strategy (KubeVirt's VirtualMachine.RunStrategy()).
    static func runStrategy(_ vm: JSONValue) throws -> String {
        let running = vm[path: ["spec", "running"]].flatMap { $0.isNull ? nil : $0 }
        let strategy = vm[path: ["spec", "runStrategy"]].flatMap { $0.isNull ? nil : $0 }
        if running != nil && strategy != nil { throw APIError.internalError("running and runstrategy are mutually exclusive") }
        if let running { return running.boolValue == true ? "Always" : "Halted" }
        return strategy?.stringValue ?? "Halted"
    }

    static func phase(_ vmi: JSONValue?) -> String { vmi?[path: ["status", "phase"]]?.stringValue ?? "" }
    static func isFinal(_ vmi: JSONValue?) -> Bool { ["Succeeded", "Failed"].contains(phase(vmi)) }
    static func uid(_ o: JSONValue?) -> String { o?[path: ["metadata", "uid"]]?.stringValue ?? "" }

    /// PUT virtualmachines/NAME/start.
    static func start(vm: JSONValue, vmi: JSONValue?, paused: Bool) throws -> VMLifecyclePlan {
        let name = vm[path: ["metadata", "name"]]?.stringValue ?? ""
        if let vmi, !isFinal(vmi), !["", "Unknown"].contains(phase(vmi)) {
            throw conflict(name, "VM is already running")
        }
        let data: JSONValue? = paused ? ["paused": "true"] : nil
        let strategy = try runStrategy(vm)
        switch strategy {
        case "Halted":
            // A paused start goes through a Start request; virt-controller then flips the strategy.
            if paused { return VMLifecyclePlan(change: try stateChange(vm, [startRequest(data)])) }
            return VMLifecyclePlan(change: runningChange(vm, running: true))
        case "RerunOnFailure", "Manual":
            if strategy == "RerunOnFailure" && phase(vmi) == "Failed" {
                throw conflict(name, "RerunOnFailure does not support starting VM from failed state")
            }
            let restart = vmi != nil && (strategy == "RerunOnFailure" ? phase(vmi) == "Succeeded" : isFinal(vmi))
            let requests = restart ? [stopRequest(uid(vmi)), startRequest(data)] : [startRequest(data)]
            return VMLifecyclePlan(change: try stateChange(vm, requests))
        case "Always", "Once":
            throw conflict(name, "\(strategy) does not support manual start requests")
        default:
            return VMLifecyclePlan()  // an unknown strategy: KubeVirt accepts and does nothing
        }
    }

    /// PUT virtualmachines/NAME/stop with StopOptions.gracePeriod.
    /// RerunOnFailure flips to Halted (KubeVirt ≤ 1.2) so the VM controller does not rerun it.
    static func stop(vm: JSONValue, vmi: JSONValue?, gracePeriod: Int64?) throws -> VMLifecyclePlan {
        let name = vm[path: ["metadata", "name"]]?.stringValue ?? ""
        let strategy = try runStrategy(vm)
        var plan = VMLifecyclePlan()
        let live = vmi != nil && !isFinal(vmi)
        let oldGrace = vmi?[path: ["spec", "terminationGracePeriodSeconds"]]?.intValue
        if live, let gracePeriod { plan.vmiGracePeriod = gracePeriod }
        switch strategy {
        case "Halted":
            guard live else { throw conflict(name, "VM is not running") }
            // Only a forced stop with a shorter grace period makes sense for a VM already halting.
            if gracePeriod == nil || (oldGrace != nil && gracePeriod! >= oldGrace!) {
                throw conflict(name, "Halted only supports manual stop requests with a shorter graceperiod")
            }
            plan.change = try stateChange(vm, [stopRequest(uid(vmi))])
        case "Manual":
            guard live else { throw conflict(name, "VM is not running") }
            plan.change = try stateChange(vm, [stopRequest(uid(vmi))])
        case "Always", "Once", "RerunOnFailure":
            plan.change = runningChange(vm, running: false)
        default:
            break
        }
        return plan
    }

    /// PUT virtualmachines/NAME/restart with RestartOptions.gracePeriodSeconds (only 0 allowed).
    static func restart(vm: JSONValue, vmi: JSONValue?, gracePeriodSeconds: Int64?) throws -> VMLifecyclePlan {
        if let g = gracePeriodSeconds {
            if g > 0 { throw APIError.badRequest("For force restart, only gracePeriod=0 is supported for now") }
            if g < 0 { throw APIError.badRequest("gracePeriod has to be greater or equal to 0") }
        }
        let name = vm[path: ["metadata", "name"]]?.stringValue ?? ""
        let strategy = try runStrategy(vm)
        if strategy == "Halted" || strategy == "Once" {
            throw conflict(name, "RunStategy \(strategy) does not support manual restart requests")  // sic, KubeVirt's spelling
        }
        guard let vmi else { throw conflict(name, "VM is not running: Halted") }
        var plan = VMLifecyclePlan(change: try stateChange(vm, [stopRequest(uid(vmi)), startRequest(nil)]))
        // A forced restart shuts the guest down at once: the shortest safe grace period.
        if gracePeriodSeconds == 0 { plan.vmiGracePeriod = 1 }
        return plan
    }

    // MARK: building blocks

    static func startRequest(_ data: JSONValue?) -> JSONValue {
        var r: JSONValue = ["action": "Start"]
        if let data { r["data"] = data }
        return r
    }

    static func stopRequest(_ uid: String) -> JSONValue { ["action": "Stop", "uid": .string(uid)] }

    /// KubeVirt's getChangeRequestJson: add the requests when none are pending; a lone
    /// Stop replaces pending ones; anything else while requests are pending fails.
    static func stateChange(_ vm: JSONValue, _ requests: [JSONValue]) throws -> VMLifecycleChange {
        let pending = vm[path: ["status", "stateChangeRequests"]]?.arrayValue ?? []
        if !pending.isEmpty && !(requests.count == 1 && requests[0]["action"] == "Stop") {
            throw APIError.internalError("unable to complete request: stop/start already underway")
        }
        return .stateChange(expected: pending, requests: requests)
    }

    /// Sets runStrategy Always/Halted, or legacy running true/false when the VM uses `running`.
    static func runningChange(_ vm: JSONValue, running: Bool) -> VMLifecycleChange {
        if let current = vm[path: ["spec", "runStrategy"]], !current.isNull {
            return .spec(field: "runStrategy", expected: current, value: .string(running ? "Always" : "Halted"))
        }
        return .spec(field: "running", expected: vm[path: ["spec", "running"]], value: .bool(running))
    }

    /// Applies a change to the current VM, failing as KubeVirt's JSON-patch `test` does
    /// when the VM changed since the decision was made.
    static func apply(_ change: VMLifecycleChange, to current: JSONValue, name: String) throws -> JSONValue {
        var vm = current
        switch change {
        case .spec(let field, let expected, let value):
            let now = vm[path: ["spec", field]].flatMap { $0.isNull ? nil : $0 }
            guard now == expected.flatMap({ $0.isNull ? nil : $0 }) else {
                throw conflict(name, "jsonpatch test operation does not apply: /spec/\(field) changed, try again")
            }
            vm.set(path: ["spec", field], to: value)
        case .stateChange(let expected, let requests):
            guard (vm[path: ["status", "stateChangeRequests"]]?.arrayValue ?? []) == expected else {
                throw conflict(name, "jsonpatch test operation does not apply: /status/stateChangeRequests changed, try again")
            }
            vm.set(path: ["status", "stateChangeRequests"], to: .array(requests))
            vm.set(path: ["status", "startFailure"], to: nil)
        }
        return vm
    }

    /// KubeVirt's `errors.NewConflict(v1.Resource("virtualmachine"), name, err)`.
    static func conflict(_ name: String, _ detail: String, resource: String = "virtualmachine") -> APIError {
        APIError(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(resource).kubevirt.io \"\(name)\": \(detail)",
                 name: name, group: "kubevirt.io", kind: resource)
    }

    /// KubeVirt's `errors.NewNotFound(v1.Resource(resource), name)`.
    static func notFound(_ name: String, resource: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(resource).kubevirt.io \"\(name)\" not found",
                 name: name, group: "kubevirt.io", kind: resource)
    }
}
