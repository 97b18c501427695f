/** The load runner's latency recorder: one home, in core (the mock aggregator records with it too). */
export { LatencyRecorder } from '../../core/latency';
