/**
 * Vega-Lite v5 chart builders: pure functions from plain chart data (types defined beside each
 * chart, built on the analysis-level TcpFrame where it fits) to a spec. They render natively (with
 * tooltips naming frames) in JupyterLab and to static SVG in the report. Every spec carries
 * `usermeta.figure = { id, caption }` so the report can number and cross-reference it.
 * The narrative (lib/narrative/figures.ts) builds the inputs from the lab model; nothing here knows the model.
 */
export * from './common';
export * from './time-axis';
export * from './waterfall';
export * from './time-sequence';
export * from './bytes-in-flight';
export * from './segment-sizes';
export * from './ack-cadence';
export * from './flow-graph';
export type { TcpFrame } from '../analysis';
