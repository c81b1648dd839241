import CorralAPI
import CorralModel
import CorralVirt
import Foundation

/// configMap, secret and serviceAccount volumes of a VMI as ISO images in its VM
/// directory (KubeVirt's config disks). The plan is `ConfigDiskPlanner`'s; this only
/// reads the objects, issues the service-account token and writes the files.
extension VMBackend {
    /// Writes every config disk of `vmi` into `dir`; returns volume name → image for the converter.
    /// A missing, non-optional object raises a `FailedMount` event naming it and a
    /// `ContainerStartError`, so the VMI stays Scheduled and the start is retried.
    func configDisks(vmi: JSONValue, launcher: JSONValue, dir: String, events: EventSink) async throws -> [String: ResolvedVolume] {
        let sources: [ConfigDiskSource]
        do {
            sources = try ConfigDiskSource.all(vmi: vmi)
        } catch {
            throw VMError.volume("\(error)")
        }
        guard !sources.isEmpty else { return [:] }
        if sources.contains(where: { $0.kind == .serviceAccount }), pods.tokenSigner == nil {
            throw VMError.volume("serviceAccount volume: this node has no service-account token signer")
        }
        let inputs = await configDiskInputs(ConfigDiskReferences(sources), vmi: vmi, launcher: launcher)
        let images: [ConfigDiskImage]
        do {
            images = try ConfigDiskPlanner.plan(sources, inputs: inputs)
        } catch let e as ConfigDiskError where e.isWaitingForObject {
            events("Warning", "FailedMount", e.description)
            throw ContainerStartError(reason: "ContainerCreating", message: e.description, backoff: false)
        } catch {
            throw VMError.volume("\(error)")
        }
        // QEMU runs as libvirt-qemu: it gets the credential images, nobody else may read them.
        let qemu = getpwnam("libvirt-qemu").map { (uid: $0.pointee.pw_uid, gid: $0.pointee.pw_gid) }
        return try await Blocking.run {
            var out: [String: ResolvedVolume] = [:]
            for image in images {
                let path = dir + "/" + image.fileName
                try ISOWriter.write(image.iso, to: path, mode: image.isSensitive ? 0o400 : 0o444, owner: image.isSensitive ? qemu : nil)
                out[image.volume] = ResolvedVolume(path: path, format: .raw)
            }
            return out
        }
    }

    /// Reads exactly the objects the disks name. The service-account token is bound to the
    /// launcher pod (it stops working when the VM's pod goes) and, like the year-long tokens
    /// kube-apiserver hands out for compatibility, outlives the image it is baked into.
    private func configDiskInputs(_ refs: ConfigDiskReferences, vmi: JSONValue, launcher: JSONValue) async -> ConfigDiskInputs {
        let ns = vmi[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let api = pods.api
        var inputs = ConfigDiskInputs(namespace: ns)
        for n in refs.configMaps { inputs.configMaps[n] = await api.configMapData(ns, n) }
        for n in refs.secrets { inputs.secrets[n] = await api.secretData(ns, n) }
        if !refs.serviceAccounts.isEmpty {
            inputs.caCertificate = Array((try? Data(contentsOf: URL(fileURLWithPath: config.dataDir + "/pki/ca.crt"))) ?? Data())
        }
        for n in refs.serviceAccounts {
            guard let signer = pods.tokenSigner, let saUID = await api.serviceAccountUID(ns, n) else { continue }
            inputs.serviceAccountTokens[n] = try? signer.issue(
                namespace: ns, serviceAccountName: n, serviceAccountUID: saUID,
                podName: launcher[path: ["metadata", "name"]]?.stringValue, podUID: launcher[path: ["metadata", "uid"]]?.stringValue,
                expirationSeconds: 365 * 24 * 3600).token
        }
        return inputs
    }
}
