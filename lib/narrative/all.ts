/**
 * Every topic once, in the report's order, with its default arguments — what the notebooks show,
 * for tests, the fuzz and batch-like checks that want all the text without a kernel.
 */
import { LabModel } from '../lab/model';
import { Block } from './blocks';
import { captureSummary, labSelection, otherTraffic } from './capture';
import { checklist, pageAndAssets } from './page';
import { httpRequestFormat, httpResponseFormat, tcpHeader } from './formats';
import { handshake } from './handshake';
import { assetDownloads, conditionalRequests, exchangesTable, headerMeanings } from './exchanges';
import { ackTiming, linkNotes, lossNotes, reassembly } from './segments';
import { connectionRoles, keepAlive } from './connections';
import { teardowns } from './teardown';
import { captureFilters, httpVersions, tlsNotes } from './questions';
import { ackCadenceFigure, bytesInFlightFigure, flowGraphFigures, segmentSizesFigure, timeSequenceFigure, waterfallFigure } from './figures';

export const TOPICS: Array<[string, (lab: LabModel) => Block[]]> = [
  ['captureSummary', captureSummary],
  ['labSelection', labSelection],
  ['pageAndAssets', pageAndAssets],
  ['flowGraphFigures', flowGraphFigures],
  ['otherTraffic', otherTraffic],
  ['checklist', checklist],
  ['tcpHeader', (l) => tcpHeader(l)],
  ['httpRequestFormat', (l) => httpRequestFormat(l)],
  ['httpResponseFormat', (l) => httpResponseFormat(l)],
  ['handshake', (l) => handshake(l)],
  ['exchangesTable', exchangesTable],
  ['assetDownloads', assetDownloads],
  ['headerMeanings', (l) => headerMeanings(l)],
  ['conditionalRequests', conditionalRequests],
  ['reassembly', (l) => reassembly(l)],
  ['segmentSizesFigure', segmentSizesFigure],
  ['linkNotes', linkNotes],
  ['ackTiming', ackTiming],
  ['ackCadenceFigure', ackCadenceFigure],
  ['timeSequenceFigure', (l) => timeSequenceFigure(l)],
  ['bytesInFlightFigure', bytesInFlightFigure],
  ['lossNotes', lossNotes],
  ['connectionRoles', connectionRoles],
  ['waterfallFigure', waterfallFigure],
  ['keepAlive', keepAlive],
  ['teardowns', (l) => teardowns(l)],
  ['tlsNotes', tlsNotes],
  ['captureFilters', captureFilters],
  ['httpVersions', httpVersions],
];

/** All topics' blocks, in order. */
export function allTopics(lab: LabModel): Block[] {
  return TOPICS.flatMap(([, f]) => f(lab));
}

/** The text a reader sees (Markdown, table cells, captions), one block per line. */
export function topicText(blocks: Block[]): string {
  return blocks.map((b) => (b.kind === 'md' ? b.md : b.kind === 'table' ? `${b.caption}\n${b.rows.map((r) => r.join(' | ')).join('\n')}` : b.caption)).join('\n');
}
