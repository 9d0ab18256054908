/** The lab model: what the report says about a capture, from evidence (see model.ts). */
export * from './model';
export * from './checks';
export * from './http';
export * from './page';
export * from './tcp';
export * from './connections';
export * from './traffic';
export * from './capture';
export * from './content';
export * from './headers';
export * from './agents';
export * from './html';
