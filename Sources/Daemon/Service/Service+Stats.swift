import ControlProtocol

// STATS: this instance's figures (the same ones the metrics endpoint exposes).
extension CommandService {
    func stats() -> Outcome {
        Outcome(.ok(metrics.stats(sampling: metricsSample()).records))
    }

    /// The figures only sampling can tell: watchers, pool, case cache.
    public func metricsSample() -> DaemonMetrics.Sample {
        let cache = caseCache.statistics
        return DaemonMetrics.Sample(
            watchers: hub.subscriberCount, pool: store.poolStatus(), caseCacheEntries: caseCache.count,
            caseCacheHits: cache.hits, caseCacheMisses: cache.misses, overdueScans: Int64(overdueScans.scanned),
            overdueScansSkipped: Int64(overdueScans.skipped),
            clusterEvents: clusterEvents.map {
                DaemonStats.ClusterEvents(sent: Int64($0.sent), dropped: Int64($0.dropped), queued: Int64($0.queued))
            })
    }

    /// The metrics endpoint's body.
    public func prometheusText() -> String {
        metrics.prometheusText(sampling: metricsSample())
    }
}
