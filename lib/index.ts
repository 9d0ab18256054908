/** wirenote: capture → decode → TCP analysis → HTTP → fields. */
export * from './capture/errors';
export * from './capture/reader';
export * from './capture/file';
export * from './decode';
export * from './tcp/analysis';
export * from './tcp/reassembly';
export * from './http/message';
export * from './http/dissect';
export * from './http/analyzer';
export * from './fields/registry';
export * from './fields/run';
export * from './util/time';
export * from './analysis';
