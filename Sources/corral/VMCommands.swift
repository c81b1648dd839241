import ArgumentParser
import CorralModel
import Foundation

/// The KubeVirt subresource path of a VM or VMI verb.
func subresourcePath(_ ns: String, _ resource: String, _ name: String, _ verb: String) -> String {
    "/apis/subresources.kubevirt.io/v1/namespaces/\(pathSegment(ns))/\(resource)/\(pathSegment(name))/\(verb)"
}

/// PUTs a lifecycle verb with its options and prints virtctl's confirmation;
/// a refusal prints `errorPrefix` and the API's message (exit 1).
func putVerb(_ cluster: ClusterOptions, resource: String, name: String, verb: String, options: JSONValue,
             errorPrefix: String, confirmation: String) throws {
    try runReportingErrors {
        let ns = cluster.resolvedNamespace()
        let client = try CurlClient(try cluster.credentials())
        let r = try client.request("PUT", subresourcePath(ns, resource, name, verb), body: options)
        guard (200..<300).contains(r.status) else {
            throw CLIError("\(errorPrefix)\(r.body?["message"]?.stringValue ?? "HTTP \(r.status)")")
        }
        print(confirmation)
    }
}

/// `--dry-run` as KubeVirt's options carry it.
func withDryRun(_ options: JSONValue, _ dryRun: Bool) -> JSONValue {
    var o = options
    if dryRun {
        print("Dry Run execution")
        o["dryRun"] = ["All"]
    }
    return o
}

struct StartVMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a virtual machine.")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Name of the VirtualMachine.") var name: String
    @Flag(help: "Start the virtual machine paused.") var paused = false
    @Flag(help: "Only check; change nothing.") var dryRun = false

    func run() throws {
        var o: JSONValue = [:]
        if paused { o["paused"] = true }
        try putVerb(cluster, resource: "virtualmachines", name: name, verb: "start", options: withDryRun(o, dryRun),
                    errorPrefix: "Error starting VirtualMachine ", confirmation: "VM \(name) was scheduled to start")
    }
}

struct StopVMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a virtual machine.")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Name of the VirtualMachine.") var name: String
    @Option(help: "Seconds the guest gets to shut down (needs --force).") var gracePeriod: Int64?
    @Flag(help: "Stop with --grace-period instead of the VMI's own.") var force = false
    @Flag(help: "Only check; change nothing.") var dryRun = false

    func validate() throws {
        if (gracePeriod != nil) != force { throw ValidationError("Must both use --force=true and set --grace-period.") }
    }

    func run() throws {
        var o: JSONValue = [:]
        if let gracePeriod { o["gracePeriod"] = .int(gracePeriod) }
        try putVerb(cluster, resource: "virtualmachines", name: name, verb: "stop", options: withDryRun(o, dryRun),
                    errorPrefix: force ? "error force stopping VirtualMachine: " : "error stopping VirtualMachine ",
                    confirmation: "VM \(name) was scheduled to stop")
    }
}

struct RestartVMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Restart a virtual machine.")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Name of the VirtualMachine.") var name: String
    @Option(help: "Only 0 (with --force): restart at once.") var gracePeriod: Int64?
    @Flag(help: "Restart with --grace-period.") var force = false
    @Flag(help: "Only check; change nothing.") var dryRun = false

    func validate() throws {
        if (gracePeriod != nil) != force { throw ValidationError("Must both use --force=true and set --grace-period.") }
    }

    func run() throws {
        var o: JSONValue = [:]
        if let gracePeriod { o["gracePeriodSeconds"] = .int(gracePeriod) }
        try putVerb(cluster, resource: "virtualmachines", name: name, verb: "restart", options: withDryRun(o, dryRun),
                    errorPrefix: force ? "error force restarting VirtualMachine: " : "error restarting VirtualMachine: ",
                    confirmation: "VM \(name) was scheduled to restart")
    }
}

/// `pause`/`unpause` take virtctl's `vm|vmi NAME`, or just `NAME` (the VMI of that name,
/// which is also the name of a VM's VMI).
struct PauseArguments: ParsableArguments {
    @Argument(help: "vm|vmi NAME, or NAME.") var words: [String] = []
    @Flag(help: "Only check; change nothing.") var dryRun = false

    func target() throws -> (kind: String, name: String) {
        switch words.count {
        case 1: return ("vmi", words[0])
        case 2:
            let kind = words[0].lowercased()
            guard ["vm", "vms", "virtualmachine", "virtualmachines", "vmi", "vmis", "virtualmachineinstance", "virtualmachineinstances"].contains(kind) else {
                throw ValidationError("unsupported resource type \"\(words[0])\": use vm or vmi")
            }
            return (kind.hasPrefix("vmi") || kind.hasPrefix("virtualmachineinstance") ? "vmi" : "vm", words[1])
        default:
            throw ValidationError("expected [vm|vmi] NAME")
        }
    }
}

/// virtctl's pause/unpause: for `vm NAME` the VM must exist, and a missing VMI is
/// explained by the VM's run strategy.
func pauseVerb(_ cluster: ClusterOptions, _ args: PauseArguments, verb: String) throws {
    let (kind, name) = try args.target()
    let gerund = verb == "pause" ? "pausing" : "unpausing"
    try runReportingErrors {
        let ns = cluster.resolvedNamespace()
        let client = try CurlClient(try cluster.credentials())
        var vm: JSONValue?
        if kind == "vm" {
            let r = try client.request("GET", "/apis/kubevirt.io/v1/namespaces/\(pathSegment(ns))/virtualmachines/\(pathSegment(name))")
            guard r.status == 200 else {
                throw CLIError("Error getting VirtualMachine \(name): \(r.body?["message"]?.stringValue ?? "HTTP \(r.status)")")
            }
            vm = r.body
        }
        let r = try client.request("PUT", subresourcePath(ns, "virtualmachineinstances", name, verb), body: withDryRun([:], args.dryRun))
        if r.status == 404, let vm {
            let halted = vm[path: ["spec", "runStrategy"]]?.stringValue == "Halted"
                || (vm[path: ["spec", "runStrategy"]] == nil && vm[path: ["spec", "running"]]?.boolValue != true)
            throw CLIError(halted ? "Error \(gerund) VirtualMachineInstance \(name). VirtualMachine \(name) is not set to run"
                                  : "Error \(gerund) VirtualMachineInstance \(name), it was not found")
        }
        guard (200..<300).contains(r.status) else {
            throw CLIError("Error \(gerund) VirtualMachineInstance \(name): \(r.body?["message"]?.stringValue ?? "HTTP \(r.status)")")
        }
        print("VMI \(name) was scheduled to \(verb)")
    }
}

struct PauseVMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a virtual machine (its state stays in memory).")
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var args: PauseArguments

    func run() throws { try pauseVerb(cluster, args, verb: "pause") }
}

struct UnpauseVMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpause", abstract: "Resume a paused virtual machine.")
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var args: PauseArguments

    func run() throws { try pauseVerb(cluster, args, verb: "unpause") }
}

/// The VM verbs, shared by `corral` and the `kubectl virt` plugin.
enum VirtVerbs {
    static let commands: [ParsableCommand.Type] = [
        StartVMCommand.self, StopVMCommand.self, RestartVMCommand.self, PauseVMCommand.self, UnpauseVMCommand.self,
        ConsoleCommand.self, VNCCommand.self,
    ]
}

/// `kubectl virt VERB …`: the VM verbs when this binary runs as `kubectl-virt`
/// (`ln -s corral kubectl-virt` somewhere on PATH makes it a kubectl plugin).
struct KubectlVirt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubectl virt",
        abstract: "Start, stop, pause and connect to KubeVirt virtual machines (corral as a kubectl plugin).",
        subcommands: VirtVerbs.commands)

    /// True when the binary was started under the plugin's name.
    static var invokedAsPlugin: Bool {
        (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) == "kubectl-virt"
    }
}
