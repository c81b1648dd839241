import Foundation

/// Finding or creating the new ReplicaSet and keeping revisions in step
/// (kube's getAllReplicaSetsAndSyncRevision / getNewReplicaSet).
extension DeploymentPlanner {
    /// Index of the oldest ReplicaSet whose template equals the Deployment's (ignoring the hash label).
    func findNewReplicaSet() -> Int? {
        rss.indices.sorted { ReplicaSetView.olderFirst(rss[$0], rss[$1]) }
            .first { TemplateHash.equalIgnoringHash(rss[$0].template, d.template) }
    }

    /// The new ReplicaSet (created when `create` and missing) and the old ones,
    /// with revision annotations brought up to date.
    mutating func allReplicaSetsSyncingRevision(create: Bool) -> (new: Int?, old: [Int]) {
        let found = findNewReplicaSet()
        let old = rss.indices.filter { $0 != found }
        let maxOld = old.compactMap { rss[$0].revision }.max() ?? 0
        let newRevision = maxOld + 1
        if let n = found {
            var rs = rss[n]
            let annotationsChanged = setNewReplicaSetAnnotations(&rs, newRevision: newRevision, exists: true)
            if annotationsChanged || rs.minReadySeconds != d.minReadySeconds {
                rs.minReadySeconds = d.minReadySeconds
                let from = rs.replicas
                rss[n] = rs
                writeReplicaSet(n, from: from)
                return (n, old)
            }
            var needsUpdate = setDeploymentRevision(rs.annotations[DeploymentAnnotations.revision] ?? "")
            if hasProgressDeadline && DeploymentConditions.get(d.conditions, "Progressing") == nil {
                setCondition("Progressing", "True", "FoundNewReplicaSet", "Found new replica set \"\(rs.name)\"")
                needsUpdate = true
            }
            if needsUpdate { writeDeployment() }
            return (n, old)
        }
        guard create else { return (nil, old) }
        return (createNewReplicaSet(old: old, revision: newRevision), old)
    }

    /// Creates `NAME-HASH` with the hash label on its labels, selector and template.
    mutating func createNewReplicaSet(old: [Int], revision: Int64) -> Int {
        let collisions = d.status["collisionCount"]?.intValue
        let hash = TemplateHash.compute(template: d.template, collisionCount: collisions)
        let template = TemplateHash.withHash(d.template, hash)
        var selector = d.selector.objectValue ?? JSONObject()
        var matchLabels = selector["matchLabels"]?.objectValue ?? JSONObject()
        matchLabels[TemplateHash.label] = .string(hash)
        selector["matchLabels"] = .object(matchLabels)
        var spec = JSONObject([("replicas", 0), ("selector", .object(selector)), ("template", template)])
        if d.minReadySeconds > 0 { spec["minReadySeconds"] = .int(d.minReadySeconds) }
        var obj: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": ["name": .string("\(d.name)-\(hash)"), "namespace": .string(d.namespace),
                         "labels": template[path: ["metadata", "labels"]] ?? [:],
                         "ownerReferences": [PodState.ownerReference(to: d.object)]],
            "spec": .object(spec),
        ]
        var view = ReplicaSetView(obj)
        view.replicas = 0
        view.created = now
        rss.append(view)
        let idx = rss.count - 1
        let count = newReplicaSetReplicas(all: old + [idx], new: idx)
        view.replicas = count
        _ = setNewReplicaSetAnnotations(&view, newRevision: revision, exists: false)
        rss[idx] = view
        obj.set(path: ["spec", "replicas"], to: .int(Int64(count)))
        obj.set(path: ["metadata", "annotations"], to: .object(JSONObject(view.annotations.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        actions.append(.createReplicaSet(obj))
        if count > 0 {
            event("Normal", "ScalingReplicaSet", Self.scaledMessage("up", view.name, from: 0, to: count))
        }
        _ = setDeploymentRevision(String(revision))
        if hasProgressDeadline {
            setCondition("Progressing", "True", "NewReplicaSetCreated", "Created new replica set \"\(view.name)\"")
        }
        writeDeployment()
        return idx
    }

    /// The new ReplicaSet's size for this step (kube's NewRSNewReplicas).
    func newReplicaSetReplicas(all: [Int], new: Int) -> Int {
        guard d.isRolling else { return d.replicas }
        let surge = (try? IntOrPercent.scaled(d.maxSurgeValue, total: d.replicas, roundUp: true)) ?? 0
        let current = all.reduce(0) { $0 + rss[$1].replicas }
        let maxTotal = d.replicas + surge
        if current >= maxTotal { return rss[new].replicas }
        return rss[new].replicas + min(maxTotal - current, d.replicas - rss[new].replicas)
    }

    /// Copies the Deployment's annotations, raises the revision (recording the
    /// old one in revision-history when an old ReplicaSet is reused) and, for a
    /// ReplicaSet about to be created, the replica annotations. True when changed.
    func setNewReplicaSetAnnotations(_ rs: inout ReplicaSetView, newRevision: Int64, exists: Bool) -> Bool {
        var changed = false
        for (k, v) in d.annotations where !DeploymentAnnotations.notCopied.contains(k) && rs.annotations[k] != v {
            rs.annotations[k] = v
            changed = true
        }
        let oldRevision = rs.annotations[DeploymentAnnotations.revision]
        let oldValue: Int64
        if let o = oldRevision, !o.isEmpty {
            guard let v = Int64(o) else { return false }
            oldValue = v
        } else {
            oldValue = 0
        }
        if oldValue < newRevision {
            rs.annotations[DeploymentAnnotations.revision] = String(newRevision)
            changed = true
            if let o = oldRevision { appendHistory(&rs, o) }
        }
        if !exists && Self.setReplicasAnnotations(&rs, desired: d.replicas, max: d.replicas + d.maxSurge) { changed = true }
        return changed
    }

    /// Appends `old` to revision-history, dropping the oldest entries past the length limit.
    func appendHistory(_ rs: inout ReplicaSetView, _ old: String) {
        let history = rs.annotations[DeploymentAnnotations.revisionHistory] ?? ""
        if history.isEmpty {
            rs.annotations[DeploymentAnnotations.revisionHistory] = old
            return
        }
        var entries = history.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var total = history.count + old.count + 1
        while total > DeploymentAnnotations.maxHistoryChars && !entries.isEmpty {
            total -= entries.removeFirst().count + 1
        }
        if total <= DeploymentAnnotations.maxHistoryChars {
            rs.annotations[DeploymentAnnotations.revisionHistory] = (entries + [old]).joined(separator: ",")
        }
    }

    /// Sets the Deployment's revision annotation; true when it changed.
    mutating func setDeploymentRevision(_ revision: String) -> Bool {
        if d.annotations[DeploymentAnnotations.revision] == revision { return false }
        d.annotations[DeploymentAnnotations.revision] = revision
        return true
    }
}
