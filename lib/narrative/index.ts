/**
 * The narrative: one function per topic, each returning blocks (Markdown with the frames it
 * cites, tables, figures) made only from the lab model's evidence. Notebooks call them one at a
 * time; the static teaching prose lives in the notebooks' markdown cells.
 */
export * from './blocks';
export * from './text';
export { captureSummary, labSelection, otherTraffic, clientWord } from './capture';
export { pageAndAssets, checklist } from './page';
export { tcpHeader, httpRequestFormat, httpResponseFormat, defaultSegment, optionsText } from './formats';
export { handshake, handshakeConnection } from './handshake';
export { exchangesTable, pairingNotes, assetDownloads, headerMeanings, conditionalRequests } from './exchanges';
export { reassembly, largestResponse, ackTiming, lossNotes, linkNotes } from './segments';
export { connectionRoles, keepAlive } from './connections';
export { teardown, teardowns } from './teardown';
export { tlsNotes, captureFilters, httpVersions } from './questions';
export { waterfallFigure, timeSequenceFigure, bytesInFlightFigure, segmentSizesFigure, ackCadenceFigure, flowGraphFigures, busiestConnection, waterfallInput, timeSequenceInput, bytesInFlightInput, segmentSizesInput, flowGraphInput } from './figures';
export { TOPICS, allTopics, topicText } from './all';
