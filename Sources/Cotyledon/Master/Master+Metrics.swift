extension Master {
    /// The `metrics` response: the counters and the gauges of the moment, in the
    /// Prometheus text format (version 0.0.4).
    func metricsExposition() -> String {
        var text = metrics.exposition()
        func perService(_ value: (ServiceRegistration) -> Int) -> [(labels: KeyValuePairs<String, String>, value: Double)] {
            services.map { (["service": $0.name], Double(value($0))) }
        }
        text += MasterMetrics.gauge("cotyledon_workers_desired", help: "Workers the service should have.",
                                    samples: perService(\.desiredWorkers))
        text += MasterMetrics.gauge("cotyledon_workers_running", help: "Worker processes alive, replacements and stopping ones included.",
                                    samples: perService { service in children.workers.values.count { $0.service === service } })
        text += MasterMetrics.gauge("cotyledon_workers_ready", help: "Workers that reported ready.",
                                    samples: pools.map { (["service": $0.service.name], Double($0.readyCount)) })
        text += MasterMetrics.gauge("cotyledon_master_stopping", help: "1 while the master stops its workers.",
                                    samples: [([:], lifecycle.isSupervising ? 0 : 1)])
        return text
    }
}
