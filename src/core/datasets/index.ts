// Datasets: reading them (every format, streamed), sampling their rows,
// naming them for a manifest, listing a folder's. See docs/datasets.md.
export { Dataset, type DatasetCheck, type DatasetInfo, type OpenDatasetOptions, type RowStream } from './dataset';
export { DatasetError, MAX_RECORD_CHARS } from './datasetError';
export { DATASET_EXTENSIONS, detectFormat, isDatasetFile } from './detect';
export { datasetIdentity, hashFile } from './identity';
export { inlineRows } from './inlineRows';
export { COUNT_ROWS_UP_TO, findDataset, listDatasets, type DatasetListing, type ListDatasetsOptions, type ListedDataset } from './listing';
export { compileRowTemplate, type RowTemplate } from './rowTemplate';
export { checkSampleOptions, sampleFilter, sampleKey, sampleRows, type SampleOptions } from './sampling';
export type { DatasetFormat, DatasetRow } from './types';
export { MAX_YAML_BYTES } from './yamlTests';
