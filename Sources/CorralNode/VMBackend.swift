import CorralImages
import CorralModel
import CorralNetwork
import CorralVirt
import Foundation
import Logging

/// Side effects for running VMIs on this node: disks from the image store,
/// cloud-init media, a tap on the pod bridge with a DHCP lease for the
/// launcher pod's IP, and the libvirt domain. Files live in DATA/vms/UID.
final class VMBackend: @unchecked Sendable {
    let config: NodeAgentConfig
    let pods: RuntimePodBackend
    let libvirt: LibvirtConnection
    let emulation: EmulationDecision
    let dhcp: VMDHCP
    /// The masquerade binding's per-VM netns, rules and dnsmasq (VMMasquerade.swift).
    let masquerade: VMMasquerade
    let logger: Logger

    init(config: NodeAgentConfig, pods: RuntimePodBackend, logger: Logger) throws {
        self.config = config
        self.pods = pods
        self.logger = logger
        libvirt = try LibvirtConnection()
        emulation = EmulationProbe.detect(override: EmulationSetting(rawValue: config.emulation) ?? .auto)
        dhcp = VMDHCP(directory: config.dataDir + "/vms/.dhcp", bridge: config.bridge, gateway: config.podGateway, dns: config.clusterDNS, logger: logger)
        masquerade = VMMasquerade(logger: logger)
        // QEMU runs as an unprivileged user: it must be able to walk to the VM files (not list them).
        for d in [config.dataDir, config.dataDir + "/vms", config.imagesDir, config.imagesDir + "/layers", config.imagesDir + "/layers/sha256"] {
            try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            if let mode = (try? FileManager.default.attributesOfItem(atPath: d))?[.posixPermissions] as? Int {
                try? FileManager.default.setAttributes([.posixPermissions: mode | 0o711], ofItemAtPath: d)
            }
        }
        logger.info("vm runtime", metadata: ["emulation": .string(emulation.mode.rawValue), "reason": .string(emulation.reason)])
    }

    func vmDir(_ uid: String) -> String { "\(config.dataDir)/vms/\(uid)" }

    /// QEMU runs as an unprivileged user: every directory above the VM files must be searchable by others.
    func checkTraversable() throws {
        var path = ""
        for part in (config.dataDir as NSString).standardizingPath.split(separator: "/") {
            path += "/\(part)"
            let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int ?? 0o755
            if mode & 0o001 == 0 {
                throw VMError.volume("QEMU (user libvirt-qemu) cannot reach the VM files: \(path) is mode \(String(mode, radix: 8)); allow search with chmod o+x")
            }
        }
    }
    func serialLog(_ uid: String) -> String { vmDir(uid) + "/serial.log" }

    static func tapName(_ uid: String) -> String {
        var h: UInt32 = 2_166_136_261
        for b in uid.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return "tap" + String(format: "%08x", h)
    }

    static func mac(_ uid: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in uid.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(format: "52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff)
    }

    /// The domain of a VMI, if any (re-adoption after a restart): looked up by its name
    /// (`NAMESPACE_NAME`, or the one recorded in the VM dir) and accepted only when its
    /// metadata names this VMI. Lists every domain only when `scan` and nothing else found it.
    func existingDomain(vmiUID: String, domainName: String?, scan: Bool = false) async -> String? {
        let name = domainName ?? recordedDomainName(vmiUID), lv = libvirt
        return await Blocking.run { (try? lv.domain(ownedBy: vmiUID, name: name, scan: scan)) ?? nil }?.uuid
    }

    /// The domain name written by `start`, for callers that know only the VMI's UID.
    func recordedDomainName(_ uid: String) -> String? {
        (try? String(contentsOfFile: vmDir(uid) + "/domain-name", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Prepares everything and boots the guest; returns the domain UUID.
    func start(vmi: JSONValue, launcher: JSONValue, podIP: String, events: EventSink) async throws -> String {
        let uid = vmi[path: ["metadata", "uid"]]?.stringValue ?? ""
        let dir = vmDir(uid)
        try checkTraversable()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        var volumes: [String: ResolvedVolume] = [:]
        var kernel: String?, initrd: String?
        let policyOf: (JSONValue) -> String? = { $0["imagePullPolicy"]?.stringValue }
        for (index, v) in (vmi[path: ["spec", "volumes"]]?.arrayValue ?? []).enumerated() {
            let name = v["name"]?.stringValue ?? ""
            if let cd = v["containerDisk"] {
                let field = "spec.volumes[\(index)].containerDisk"
                let image = cd["image"]?.stringValue ?? ""
                let root = try await imageRoot(image, policy: policyOf(cd), launcher: launcher, vmDir: dir, events: events)
                let base = try VMError.at(field + (cd["path"] == nil ? ".image" : ".path")) { try findDisk(root: root, path: cd["path"]?.stringValue) }
                let overlay = "\(dir)/\(name).qcow2"
                if !FileManager.default.fileExists(atPath: overlay) {
                    try await Blocking.run {
                        do {
                            _ = try DiskImages.createOverlay(base: base, overlay: overlay)
                        } catch DiskImageError.namesBackingFile(_, let backing) {
                            throw VMError.field(field + ".image", "qcow2 names a backing file (\(backing)) in image \(image); refusing it")
                        } catch DiskImageError.unsupportedFormat(_, let format) {
                            throw VMError.field(field + ".image", "disk format \(format) in image \(image); only qcow2 and raw are supported")
                        }
                    }
                }
                volumes[name] = ResolvedVolume(path: overlay, format: .qcow2)
            } else if v["cloudInitNoCloud"] != nil || v["cloudInitConfigDrive"] != nil {
                let ns = vmi[path: ["metadata", "namespace"]]?.stringValue ?? "default"
                let secrets = try await cloudInitSecrets(volume: v, namespace: ns, events: events)
                let data = try CloudInitMedia.data(volume: v, volumePath: "spec.volumes[\(index)]",
                                                   userDataSecret: secrets.userData, networkDataSecret: secrets.networkData)
                let plan = CloudInitMedia.plan(data, instanceID: CloudInitMedia.instanceID(namespace: ns, name: vmi[path: ["metadata", "name"]]?.stringValue ?? ""),
                                               uuid: uid, hostname: CloudInitMedia.hostname(vmi: vmi))
                let iso = "\(dir)/\(name).iso"
                try await Blocking.run { try ISOWriter.write(plan, to: iso) }
                volumes[name] = ResolvedVolume(path: iso, format: .raw)
            } else if let e = v["emptyDisk"] {
                let path = "\(dir)/\(name).qcow2"
                let size = ResourceQuantity.parse(e["capacity"]).map { Int64($0) } ?? (1 << 30)
                if !FileManager.default.fileExists(atPath: path) { try await Blocking.run { try DiskImages.createEmptyDisk(path: path, size: size) } }
                volumes[name] = ResolvedVolume(path: path, format: .qcow2)
            } else if v["persistentVolumeClaim"] != nil || v["dataVolume"] != nil {
                let claim = v[path: ["persistentVolumeClaim", "claimName"]]?.stringValue ?? v[path: ["dataVolume", "name"]]?.stringValue ?? name
                let field = "spec.volumes[\(index)]." + (v["dataVolume"] != nil ? "dataVolume.name" : "persistentVolumeClaim.claimName")
                volumes[name] = ResolvedVolume(path: try await claimDisk(vmi: vmi, claim: claim, field: field), format: .qcow2)
            } else if let claim = v[path: ["ephemeral", "persistentVolumeClaim", "claimName"]]?.stringValue {
                // KubeVirt's ephemeral volume: the claim's disk read-only under a qcow2 overlay
                // in the VMI's directory, so the guest's writes vanish with the VMI.
                let base = try await claimDisk(vmi: vmi, claim: claim, field: "spec.volumes[\(index)].ephemeral.persistentVolumeClaim.claimName")
                let overlay = "\(dir)/\(name).qcow2"
                if !FileManager.default.fileExists(atPath: overlay) {
                    try await Blocking.run { _ = try DiskImages.createOverlay(base: base, overlay: overlay) }
                }
                volumes[name] = ResolvedVolume(path: overlay, format: .qcow2)
            }
        }
        volumes.merge(try await configDisks(vmi: vmi, launcher: launcher, dir: dir, events: events)) { cur, _ in cur }
        if let kb = vmi[path: ["spec", "domain", "firmware", "kernelBoot"]], let c = kb["container"] {
            let root = try await imageRoot(c["image"]?.stringValue ?? "", policy: policyOf(c), launcher: launcher, vmDir: dir, events: events)
            let field = "spec.domain.firmware.kernelBoot.container"
            kernel = try VMError.at(field + ".kernelPath") { try inside(root, c["kernelPath"]?.stringValue) }
            initrd = try VMError.at(field + ".initrdPath") { try inside(root, c["initrdPath"]?.stringValue) }
        }
        let tap = Self.tapName(uid), mac = Self.mac(uid)
        let ifaces = try DomainConverter.interfaceNames(vmi: vmi)
        // masquerade binding: guest on 10.0.2.0/24 behind the pod IP (VMMasquerade.swift) ...
        if !ifaces.isEmpty, let plan = try masqueradePlan(vmi: vmi, podIP: podIP) {
            try await ensureMasquerade(uid: uid, plan: plan)
        } else if !ifaces.isEmpty {
            // ... bridge binding: the tap on the pod bridge, the guest takes the pod IP by DHCP.
            let qemuUser = getpwnam("libvirt-qemu").map { $0.pointee.pw_uid }
            let bridge = config.bridge, dhcp = self.dhcp, hostname = CloudInitMedia.hostname(vmi: vmi)
            try await Blocking.run {
                try Netlink().createTap(tap, bridge: bridge, owner: qemuUser)
                try dhcp.set(owner: uid, mac: mac, ip: podIP, hostname: hostname)
            }
        }
        let ctx = ConverterContext(emulation: emulation.mode, volumes: volumes, kernelPath: kernel, initrdPath: initrd,
                                   tapDevices: Dictionary(uniqueKeysWithValues: ifaces.prefix(1).map { ($0, tap) }),
                                   macAddresses: Dictionary(uniqueKeysWithValues: ifaces.prefix(1).map { ($0, mac) }),
                                   serialLogPath: serialLog(uid), vncSocketPath: nil,  // QEMU (an unprivileged user) cannot create sockets in our dir; VNC listens on loopback
                                   hostCPUCount: ProcessInfo.processInfo.activeProcessorCount,
                                   nvramPath: dir + "/nvram.fd",  // EFI variables die with the VM dir
                                   existingFirmware: OVMFPaths.debian.existingFiles(FileManager.default.fileExists(atPath:)))
        let spec: DomainSpec
        do { spec = try DomainConverter.convert(vmi: vmi, context: ctx) } catch let e as DomainConversionError {
            throw VMError.field(e.field, String(e.description.dropFirst(e.field.count + 2)))
        }
        let xml = spec.xml()
        try Data(xml.utf8).write(to: URL(fileURLWithPath: dir + "/domain.xml"))
        try Data(spec.name.utf8).write(to: URL(fileURLWithPath: dir + "/domain-name"))
        if let existing = await existingDomain(vmiUID: uid, domainName: spec.name) { return existing }
        let libvirt = self.libvirt
        return try await Blocking.run { try libvirt.defineAndStart(xml: xml) }
    }

    /// Pulls/imports per policy and mounts the image's root filesystem read-only under the VM dir.
    func imageRoot(_ image: String, policy: String?, launcher: JSONValue, vmDir: String, events: EventSink) async throws -> String {
        let rec: ImageRecord
        do {
            rec = try await pods.ensureImage(image, policyField: policy, pod: launcher, events: events)
            let images = pods.images
            _ = try await Blocking.run { try images.unpackLayers(of: rec) }
        } catch let e as ContainerStartError {
            throw e
        } catch {
            throw ContainerStartError(reason: "ErrImagePull", message: "\(error)", backoff: true)
        }
        // The layers are the image's files; the top-most layer that has a path wins.
        return rec.layers.map { pods.images.unpackedLayerPath($0.digest) }.joined(separator: ":")
    }

    /// `path` inside a layered image (top layer wins), refusing escapes.
    func inside(_ roots: String, _ path: String?) throws -> String? {
        guard let path, !path.isEmpty else { return nil }
        guard !path.split(separator: "/").contains("..") else { throw VMError.volume("path \(path) may not contain '..'") }
        for root in roots.split(separator: ":").reversed() {
            let p = "\(root)/\(path.hasPrefix("/") ? String(path.dropFirst()) : path)"
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        throw VMError.volume("\(path) not found in the image")
    }

    /// The containerDisk's image file: `path`, or the one file under /disk/.
    func findDisk(root: String, path: String?) throws -> String {
        if let path, let p = try inside(root, path) { return p }
        for r in root.split(separator: ":").reversed() {
            let d = "\(r)/disk"
            if let f = ((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []).sorted().first { return "\(d)/\(f)" }
        }
        throw VMError.volume("containerDisk image has no disk file under /disk/")
    }

    /// The disk file of claim `claim` (a file-backed local volume in the data dir, made as
    /// an empty 1 GiB qcow2 on first use; real storage comes with DataVolumes).
    /// A claim name that could leave the volumes directory fails the VMI at `field`.
    func claimDisk(vmi: JSONValue, claim: String, field: String) async throws -> String {
        guard !claim.isEmpty, !claim.contains("/"), claim != ".", claim != ".." else {
            throw VMError.field(field, "\"\(claim)\" is not a valid claim name")
        }
        let ns = vmi[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let d = "\(config.dataDir)/volumes/\(ns)/\(claim)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        let path = d + "/disk.img"
        if !FileManager.default.fileExists(atPath: path) { try await Blocking.run { try DiskImages.createEmptyDisk(path: path, size: 1 << 30) } }
        return path
    }

    /// The Secrets a cloud-init volume names (`secretRef`, `networkDataSecretRef`), read as
    /// KubeVirt's virt-handler does at start. A missing one is waited for like a missing
    /// config-disk object: a `FailedMount` event and a retried start, the VMI stays Scheduled.
    func cloudInitSecrets(volume: JSONValue, namespace: String, events: EventSink) async throws
        -> (userData: [String: [UInt8]]?, networkData: [String: [UInt8]]?) {
        let source = volume["cloudInitNoCloud"] ?? volume["cloudInitConfigDrive"] ?? .null
        func read(_ key: String) async throws -> [String: [UInt8]]? {
            guard let name = source[path: [key, "name"]]?.stringValue, !name.isEmpty else { return nil }
            if let data = await pods.api.secretData(namespace, name) { return data }
            let message = "MountVolume.SetUp failed for volume \"\(volume["name"]?.stringValue ?? "")\" : secret \"\(name)\" not found"
            events("Warning", "FailedMount", message)
            throw ContainerStartError(reason: "ContainerCreating", message: message, backoff: false)
        }
        return (try await read("secretRef"), try await read("networkDataSecretRef"))
    }

    /// Serves the network of a guest adopted after an agent restart again: its DHCP lease
    /// (dnsmasq was stopped with the agent, or knows only the leases this run registered), or
    /// its masquerade netns and dnsmasq. False when that failed; the worker tries again.
    func readopt(vmi: JSONValue, podIP: String) async -> Bool {
        guard !((try? DomainConverter.interfaceNames(vmi: vmi)) ?? []).isEmpty else { return true }
        let uid = vmi[path: ["metadata", "uid"]]?.stringValue ?? ""
        if let done = await readoptMasquerade(vmi: vmi, podIP: podIP) { return done }
        let dhcp = self.dhcp, hostname = CloudInitMedia.hostname(vmi: vmi)
        do {
            try await Blocking.run { try dhcp.set(owner: uid, mac: Self.mac(uid), ip: podIP, hostname: hostname) }
            return true
        } catch {
            logger.warning("dhcp lease for re-adopted VM", metadata: ["vmi": .string(uid), "error": .string("\(error)")])
            return false
        }
    }

    /// Restarts the bridge DHCP server if it exited under running guests (cheap when it runs).
    func keepDHCPServing() {
        do { try dhcp.keepServing() } catch {
            logger.warning("dhcp for VMs", metadata: ["error": .string("\(error)")])
        }
    }

    /// The domain's state; `nil` when it is gone, throws when libvirt cannot say.
    func domainState(_ uuid: String) async throws -> DomainStatus? {
        let lv = libvirt
        return try await Blocking.run { () throws -> DomainStatus? in
            do { return try lv.state(uuid: uuid) } catch let e as LibvirtError where e.isNotFound { return nil }
        }
    }

    /// Stops the guest and removes domain, tap, lease and files. `domainName` nil: the name
    /// recorded in the VM dir, else a scan of all domains (a VMI known only by UID).
    func teardown(vmiUID: String, domainName: String? = nil, grace: TimeInterval) async {
        let lv = libvirt
        if let dom = await existingDomain(vmiUID: vmiUID, domainName: domainName, scan: true) {
            let running = { await Blocking.run { (try? lv.state(uuid: dom))?.state == .running } }
            if grace > 0, await running() {
                await Blocking.run { try? lv.shutdown(uuid: dom) }
                let deadline = Date().addingTimeInterval(grace)
                while Date() < deadline, await running() { try? await Task.sleep(nanoseconds: 200_000_000) }
            }
            await Blocking.run { try? lv.remove(uuid: dom) }
        }
        dhcp.remove(owner: vmiUID)
        await teardownMasquerade(uid: vmiUID)  // masquerade binding, if the VM had it
        let tap = Self.tapName(vmiUID), dir = vmDir(vmiUID)
        await Blocking.run {
            _ = try? Netlink().deleteLink(tap)
            try? FileManager.default.removeItem(atPath: dir)
        }
    }
}
