import { makeCloudSink } from "./Cloud.js"
import type { Sink } from "./Sink.js"
import type { SinkConfig } from "./SinkConfig.js"
import { makeKafkaSink } from "./Kafka.js"
import { makeKafkaRestSink } from "./KafkaRest.js"
import { makeHecSink } from "./SplunkHec.js"
import { makeWebhookSink } from "./Webhook.js"

/** The forwarder for a sink's type, built from its config and the environment; throws SinkFailure `config` for a missing credential or unreadable CA file. */
export const makeSink = (config: SinkConfig, env: NodeJS.ProcessEnv): Sink => {
  switch (config.type) {
    case "splunk_hec":
    case "cribl_http":
      return makeHecSink(config, env)
    case "webhook":
      return makeWebhookSink(config, env)
    case "kafka":
      return makeKafkaSink(config, env)
    case "kafka_rest":
      return makeKafkaRestSink(config, env)
    case "cloud":
      return makeCloudSink(config, env)
  }
}
