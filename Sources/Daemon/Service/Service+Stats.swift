import ControlProtocol

// STATS: this instance's figures (the same ones the metrics endpoint exposes).
extension CommandService {
    func stats() -> Outcome {
        Outcome(.ok(metrics.stats(sampling: metricsSample()).records))
    }

    /// The figures only sampling can tell: watchers, pool, case cache.
    public func metricsSample() -> DaemonMetrics.Sample {
        let cache = caseCache.statistics
        return DaemonMetrics.Sample(watchers: hub.subscriberCount, pool: store.poolStatus(),
                                    caseCacheEntries: caseCache.count, caseCacheHits: cache.hits,
                                    caseCacheMisses: cache.misses)
    }

    /// The metrics endpoint's body.
    public func prometheusText() -> String {
        metrics.prometheusText(sampling: metricsSample())
    }
}
