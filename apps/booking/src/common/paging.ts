import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ApiError } from './api-error';

/**
 * The paging of every new list (CONTRACT.md part two): `?limit=` (default 50, at most 500) and
 * `?cursor=` (the previous page's `nextCursor`); the answer is `{items, nextCursor}`.
 */
export class PageQuery {
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 50;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

/** The answer to a `cursor` that no page of the list gave (400 VALIDATION_FAILED naming the field). */
export const badCursor = (): ApiError =>
  new ApiError(400, 'VALIDATION_FAILED', 'cursor is not one this list gave', {
    fields: [{ field: 'cursor', problems: ['is not a cursor of this list'] }],
  });
