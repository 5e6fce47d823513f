import { readFile } from 'node:fs/promises';
import type { ComfyUiEngineConfig, ComfyUiNodeInput } from '../../config/comfyui-engine-config.ts';
import { fieldsOf, parseAnswer } from '../upstream/upstream-answer.ts';
import { type ApiWorkflow, apiWorkflow } from './comfyui-wire.ts';

/** A field's value for the workflow: text, a number, or an uploaded file's name. */
export type FieldValue = string | number | boolean;

/**
 * A model's API-format workflow and its mapping (engine.inputs, engine.outputs), checked once at start: every
 * mapped node and every output node exists. `fill` makes the workflow of one request.
 */
export class ComfyUiWorkflow {
  private constructor(
    private readonly graph: ApiWorkflow,
    private readonly inputs: Record<string, ComfyUiNodeInput[]>,
    /** Node ids whose files are the result, in order. */
    readonly outputs: readonly string[],
  ) {}

  /** Reads and checks the workflow file; throws an Error that names the file and what is wrong. */
  static async load(config: ComfyUiEngineConfig): Promise<ComfyUiWorkflow> {
    const text = await readFile(config.workflow, 'utf8');
    const graph = fieldsOf(apiWorkflow, parseAnswer(text));
    if (graph === undefined)
      throw new Error(
        `${config.workflow} is not a ComfyUI workflow in API format (use "Export (API)"): each node needs class_type and inputs`,
      );
    const inputs = Object.fromEntries(
      Object.entries(config.inputs).map(([field, target]) => [
        field,
        Array.isArray(target) ? target : [target],
      ]),
    );
    for (const [field, targets] of Object.entries(inputs))
      for (const target of targets)
        if (graph[target.node] === undefined)
          throw new Error(
            `${config.workflow} has no node "${target.node}" (engine.inputs.${field})`,
          );
    for (const node of config.outputs)
      if (graph[node] === undefined)
        throw new Error(`${config.workflow} has no node "${node}" (engine.outputs)`);
    return new ComfyUiWorkflow(graph, inputs, config.outputs);
  }

  /** Whether the mapping writes `field` anywhere. */
  maps(field: string): boolean {
    return this.inputs[field] !== undefined;
  }

  /**
   * A copy of the workflow with each given field written into its node inputs; each field of `remove` (a file the
   * request did not send) takes its nodes out, and every input linking to them.
   */
  fill(
    values: Record<string, FieldValue | undefined>,
    remove: readonly string[] = [],
  ): ApiWorkflow {
    const graph = structuredClone(this.graph);
    for (const [field, value] of Object.entries(values)) {
      if (value === undefined) continue;
      for (const target of this.inputs[field] ?? [])
        graph[target.node]!.inputs[target.input] = value;
    }
    for (const field of remove)
      for (const target of this.inputs[field] ?? []) {
        delete graph[target.node];
        for (const node of Object.values(graph))
          for (const [name, input] of Object.entries(node.inputs))
            if (Array.isArray(input) && input[0] === target.node) delete node.inputs[name];
      }
    return graph;
  }
}
