import Foundation

/// PersistentVolumes and PersistentVolumeClaims, with the VOLUMEATTRIBUTESCLASS
/// column kube-apiserver 1.29+ prints. Quantities print as stored.
extension TablePrinter {
    static let persistentVolumePrinter = Printer(
        columns: [
            nameColumn,
            Column("Capacity", "capacity is the description of the persistent volume's resources and capacity."),
            Column("Access Modes", "accessModes contains all ways the volume can be mounted."),
            Column("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
            Column("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
            Column("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
            Column("StorageClass", "StorageClass of the pv"),
            Column("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
            Column("Reason", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
            ageColumn,
            Column("VolumeMode", priority: 1, "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state."),
        ],
        cells: { pv, now in
            let spec = pv["spec"] ?? .null
            var claim = ""
            if let ref = spec["claimRef"], ref.objectValue != nil {
                claim = str(ref["namespace"]) + "/" + str(ref["name"])
            }
            let phase = isDeleting(pv) ? "Terminating" : str(pv[path: ["status", "phase"]])
            let storageClass = annotation(pv, "volume.beta.kubernetes.io/storage-class") ?? str(spec["storageClassName"])
            return [.string(name(pv)), .string(quantityText(spec[path: ["capacity", "storage"]])),
                    .string(accessModes(spec["accessModes"])), .string(str(spec["persistentVolumeReclaimPolicy"])),
                    .string(phase), .string(claim), .string(storageClass),
                    .string(spec["volumeAttributesClassName"]?.stringValue ?? "<unset>"),
                    .string(str(pv[path: ["status", "reason"]])), .string(age(pv, now)),
                    .string(spec["volumeMode"]?.stringValue ?? "<unset>")]
        })

    static let persistentVolumeClaimPrinter = Printer(
        columns: [
            nameColumn,
            Column("Status", "phase represents the current phase of PersistentVolumeClaim."),
            Column("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim."),
            Column("Capacity", "capacity represents the actual resources of the underlying volume."),
            Column("Access Modes", "accessModes contains the actual access modes the volume backing the PVC has."),
            Column("StorageClass", "StorageClass of the pvc"),
            Column("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
            ageColumn,
            Column("VolumeMode", priority: 1, "volumeMode defines what type of volume is required by the claim."),
        ],
        cells: { pvc, now in
            let spec = pvc["spec"] ?? .null
            let phase = isDeleting(pvc) ? "Terminating" : str(pvc[path: ["status", "phase"]])
            let volume = str(spec["volumeName"])
            var capacity = ""
            var modes = ""
            if !volume.isEmpty {
                modes = accessModes(pvc[path: ["status", "accessModes"]])
                capacity = quantityText(pvc[path: ["status", "capacity", "storage"]])
            }
            let storageClass = annotation(pvc, "volume.beta.kubernetes.io/storage-class") ?? str(spec["storageClassName"])
            return [.string(name(pvc)), .string(phase), .string(volume), .string(capacity), .string(modes),
                    .string(storageClass), .string(spec["volumeAttributesClassName"]?.stringValue ?? "<unset>"),
                    .string(age(pvc, now)), .string(spec["volumeMode"]?.stringValue ?? "<unset>")]
        })

    /// A resource quantity as text; an absent one prints "0", like a zero Quantity.
    static func quantityText(_ v: JSONValue?) -> String {
        switch v {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .double?: return v.flatMap { $0.intValue.map(String.init) } ?? "0"
        default: return "0"
        }
    }

    /// RWO, ROX, RWX, RWOP in that order, each once, comma-joined.
    static func accessModes(_ modes: JSONValue?) -> String {
        let have = Set((modes?.arrayValue ?? []).compactMap(\.stringValue))
        let order: [(String, String)] = [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"),
                                         ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")]
        return order.filter { have.contains($0.0) }.map(\.1).joined(separator: ",")
    }
}
