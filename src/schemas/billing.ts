import { z } from 'zod';

// swagger: getBillingUsageHistory and getBillingUsageAnalytics query parameters; INVENTORY §6.4, §6.5.

/** ISO 8601 UTC with the "Z" suffix (swagger: maxLength 40, format date-time), normalised to milliseconds. */
const utcTimestamp = z
  .string()
  .max(40)
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/,
    'Expected an ISO 8601 UTC timestamp ending in "Z"',
  )
  .transform((value, context) => {
    const at = Date.parse(value);
    const iso = Number.isNaN(at) ? '' : new Date(at).toISOString();
    // Date.parse rolls 2026-02-30 over to March 2; comparing the text catches it.
    if (iso.slice(0, 19) !== value.slice(0, 19)) {
      context.addIssue({ code: 'custom', message: 'Not a valid timestamp' });
      return z.NEVER;
    }
    return iso;
  });

const FILTERS = ['currency', 'startTimestamp', 'endTimestamp', 'pageSize'] as const;

/**
 * The first request of a walk takes filters; a continuation takes the cursor and nothing else (the filters travel
 * inside it). Unknown parameters are refused, so the sunset endpoint's `page`/`limit` cannot be silently ignored.
 */
export const usageHistoryQuery = z
  .strictObject({
    currency: z.enum(['USD', 'DIEM', 'BUNDLED_CREDITS']).optional(),
    cursor: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional(),
    startTimestamp: utcTimestamp.optional(),
    endTimestamp: utcTimestamp.optional(),
    pageSize: z
      .string()
      .regex(/^\d{1,4}$/, 'Expected an integer')
      .transform(Number)
      .pipe(z.number().int().min(10).max(1000))
      .optional(),
  })
  .superRefine((query, context) => {
    if (query.cursor !== undefined) {
      for (const filter of FILTERS) {
        if (query[filter] !== undefined)
          context.addIssue({
            code: 'custom',
            path: [filter],
            message: `${filter} cannot be sent with a cursor: the cursor carries the filters of its walk`,
          });
      }
    }
    if (
      query.startTimestamp !== undefined &&
      query.endTimestamp !== undefined &&
      query.endTimestamp <= query.startTimestamp
    ) {
      context.addIssue({
        code: 'custom',
        path: ['endTimestamp'],
        message: 'endTimestamp must be later than startTimestamp',
      });
    }
  });
export type UsageHistoryQuery = z.infer<typeof usageHistoryQuery>;

const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Expected YYYY-MM-DD')
  .refine((value) => {
    const at = Date.parse(`${value}T00:00:00Z`);
    return !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === value;
  }, 'Not a valid date');

const MAX_RANGE_DAYS = 366;

/** INVENTORY §6.4: a lookback of 1..90 days, or both dates (one alone is a 400); dates win over lookback. */
export const usageAnalyticsQuery = z
  .strictObject({
    lookback: z
      .string()
      .regex(/^[1-9]\d*d$/, 'Expected a number of days followed by "d", e.g. "7d"')
      .refine((value) => Number(value.slice(0, -1)) <= 90, 'The maximum lookback is 90d')
      .optional(),
    startDate: calendarDate.optional(),
    endDate: calendarDate.optional(),
  })
  .superRefine((query, context) => {
    if ((query.startDate === undefined) !== (query.endDate === undefined)) {
      const missing = query.startDate === undefined ? 'startDate' : 'endDate';
      context.addIssue({
        code: 'custom',
        path: [missing],
        message: 'startDate and endDate must be sent together',
      });
    }
    if (
      query.startDate !== undefined &&
      query.endDate !== undefined &&
      query.endDate < query.startDate
    ) {
      context.addIssue({
        code: 'custom',
        path: ['endDate'],
        message: 'endDate must not be before startDate',
      });
    }
    // The report has a row per day: an unbounded range (2026-01-01 to 4203-05-03) would keep the server busy for
    // minutes. The swagger bounds only lookback (90d); a year of dates is as far as Rialto goes.
    if (
      query.startDate !== undefined &&
      query.endDate !== undefined &&
      Date.parse(query.endDate) - Date.parse(query.startDate) >= MAX_RANGE_DAYS * 86_400_000
    ) {
      context.addIssue({
        code: 'custom',
        path: ['endDate'],
        message: `The maximum range is ${MAX_RANGE_DAYS} days`,
      });
    }
  });
export type UsageAnalyticsQuery = z.infer<typeof usageAnalyticsQuery>;
