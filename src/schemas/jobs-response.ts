import { z } from 'zod';

/** swagger: the JSON 200 of POST /video/retrieve and /audio/retrieve while the job runs, or once its media is linked. */
export const retrieveJobStatus = z.object({
  status: z.enum(['PROCESSING', 'COMPLETED']),
  average_execution_time: z.number(),
  execution_duration: z.number(),
});
export type RetrieveJobStatus = z.infer<typeof retrieveJobStatus>;
